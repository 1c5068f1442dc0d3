"""The local Kafka: one node by default, three from `KAFKA_BROKERS=3`, and the replication the
topic table asks for in each mode."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from callplane_shared.topics import REPLICATION
from stackctl import kafka
from stackctl.components import INFRASTRUCTURE, infrastructure
from stackctl.provision import ProvisionError
from tests.support import REPO_ROOT

pytestmark = pytest.mark.unit


def props(node: kafka.KafkaNode, cluster: tuple[kafka.KafkaNode, ...]) -> dict[str, str]:
    text = kafka.properties(node, cluster, Path("/data"))
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_the_default_stays_one_node_on_9092() -> None:
    [node] = kafka.nodes(1)
    assert (node.name, node.broker_port, node.controller_port) == ("kafka", 9092, 9093)
    assert kafka.bootstrap(1) == "127.0.0.1:9092"
    assert [c.name for c in INFRASTRUCTURE] == [c.name for c in infrastructure(1)]
    single = props(node, (node,))
    assert single["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert single["offsets.topic.replication.factor"] == "1"


def test_the_cluster_is_three_brokers_and_three_dedicated_controllers() -> None:
    cluster = kafka.nodes(3)
    ports = [p for n in cluster for p in (n.broker_port, n.controller_port) if p is not None]
    assert len(set(ports)) == len(ports) == 6
    roles = {n.name: props(n, cluster)["process.roles"] for n in cluster}
    assert roles == {
        "kafka-controller-1": "controller",
        "kafka-controller-2": "controller",
        "kafka-controller-3": "controller",
        "kafka-1": "broker",
        "kafka-2": "broker",
        "kafka-3": "broker",
    }
    voters = {props(n, cluster)["controller.quorum.voters"] for n in cluster}
    assert voters == {"101@127.0.0.1:9093,102@127.0.0.1:9095,103@127.0.0.1:9097"}
    assert kafka.bootstrap(3) == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    # Controllers start first: brokers register with the quorum as they start.
    assert [c.name for c in infrastructure(3)][:6] == [n.name for n in cluster]
    assert [n.is_controller for n in cluster] == [True] * 3 + [False] * 3


def test_the_cluster_never_acknowledges_a_write_on_one_copy_or_elects_a_stale_leader() -> None:
    cluster = kafka.nodes(3)
    settings = props(kafka.brokers_of(cluster)[0], cluster)
    assert settings["min.insync.replicas"] == "2"
    assert settings["default.replication.factor"] == "3"
    assert settings["offsets.topic.replication.factor"] == "3"
    assert settings["unclean.leader.election.enable"] == "false"
    heartbeat = int(settings["broker.heartbeat.interval.ms"])
    assert heartbeat < int(settings["broker.session.timeout.ms"])


def test_other_sizes_are_refused_with_what_is_allowed() -> None:
    with pytest.raises(ProvisionError, match="1 or 3"):
        kafka.nodes(2)


def test_replication_per_environment() -> None:
    assert REPLICATION["single-node"].factor == REPLICATION["single-node"].min_insync_replicas == 1
    for environment in ("cluster", "production"):
        assert (REPLICATION[environment].factor, REPLICATION[environment].min_insync_replicas) == (
            3,
            2,
        )


def test_helm_values_ask_for_the_table_s_replication() -> None:
    chart = REPO_ROOT / "deploy/helm/callplane"
    for values, environment in (
        ("values.yaml", "production"),
        ("values-prod.yaml", "production"),
        ("values-dev.yaml", "single-node"),
    ):
        topics = yaml.safe_load((chart / values).read_text())["kafka"]["topics"]
        expected = REPLICATION[environment]  # type: ignore[index]
        assert topics["replicationFactor"] == expected.factor, values
        assert topics["minInsyncReplicas"] == expected.min_insync_replicas, values
    job = (chart / "templates/topics-job.yaml").read_text()
    assert "--min-insync-replicas" in job
    assert "--replication-factor" in job


def test_a_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kafka-storage format -t -…` reads the id as a missing argument (a CI run failed so)."""
    dash_first = uuid.UUID(bytes=bytes([0xF8]) + bytes(15))  # base64 "-A…"
    plain = uuid.UUID(bytes=bytes(16))
    draws = iter([dash_first, plain])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))
    assert kafka.new_cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"
