"""Kafka for the local stack: one KRaft node by default, or a cluster (`KAFKA_BROKERS=3`).

The cluster is three brokers and a quorum of three dedicated controllers, six processes from the
same jars, as KRaft is run in production: any one broker and any one controller can die and the
others go on. Controllers of their own, because the failover test measured what a combined node
costs: when the node that died was both the active controller and a partition leader, its
partitions could move only once a new controller had been elected and had fenced it, and calls
waited up to 27.7 s instead of the 4 s of a broker's death. Its settings are the ones the
failover test (`make failover-test`) measured; the top-level README says which of them mattered.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from stackctl.layout import Layout
from stackctl.provision import ProvisionError, kafka_libs

CLUSTER_SIZE = 3
HEAP = "-Xms512m -Xmx1g"  # per node: far below what 24 GiB allows, on purpose
CONTROLLER_HEAP = "-Xms128m -Xmx256m"  # a controller holds the cluster's metadata only
CONTROLLER_IDS = 100  # controller n is node 100 + n, so logs never confuse it with broker n


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    name: str  # component name: pid file, log file and data folder
    broker_port: int | None  # None: a controller only
    controller_port: int | None  # None: a broker only (the cluster's controllers are apart)

    @property
    def is_broker(self) -> bool:
        return self.broker_port is not None

    @property
    def is_controller(self) -> bool:
        return self.controller_port is not None

    @property
    def address(self) -> str:
        port = self.broker_port if self.is_broker else self.controller_port
        return f"127.0.0.1:{port}"


def nodes(brokers: int) -> tuple[KafkaNode, ...]:
    """Every node, controllers first (brokers register with them as they start)."""
    if brokers == 1:
        return (KafkaNode(1, "kafka", 9092, 9093),)
    if brokers != CLUSTER_SIZE:
        raise ProvisionError(f"KAFKA_BROKERS must be 1 or {CLUSTER_SIZE}, not {brokers}")
    controllers = tuple(
        KafkaNode(CONTROLLER_IDS + i, f"kafka-controller-{i}", None, 9093 + 2 * (i - 1))
        for i in range(1, CLUSTER_SIZE + 1)
    )
    return controllers + tuple(
        KafkaNode(i, f"kafka-{i}", 9092 + 2 * (i - 1), None) for i in range(1, CLUSTER_SIZE + 1)
    )


def brokers_of(cluster: tuple[KafkaNode, ...]) -> tuple[KafkaNode, ...]:
    return tuple(node for node in cluster if node.is_broker)


def bootstrap(brokers: int) -> str:
    return ",".join(node.address for node in brokers_of(nodes(brokers)))


def requested_brokers() -> int | None:
    """`KAFKA_BROKERS` from the environment (the Makefile passes `make up KAFKA_BROKERS=3`)."""
    raw = os.environ.get("KAFKA_BROKERS", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ProvisionError(f"KAFKA_BROKERS must be 1 or {CLUSTER_SIZE}, not {raw!r}") from None


def _mode_file(layout: Layout) -> Path:
    return layout.run / "kafka-brokers"


def running_brokers(layout: Layout) -> int:
    """How many nodes the stack's Kafka was started with (1 when nothing says otherwise)."""
    try:
        return int(_mode_file(layout).read_text().strip())
    except (FileNotFoundError, ValueError):
        return 1


def remember_brokers(layout: Layout, brokers: int | None) -> None:
    """Written at `up`, removed at `down`: later commands (`make test`, `make down`, the
    failover test) follow the running stack without repeating KAFKA_BROKERS."""
    path = _mode_file(layout)
    if brokers is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{brokers}\n")


# Replication of the internal topics, and broker defaults for any topic created without our table
# (callplane_shared.topics sets both per topic).
_SINGLE = [
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    # One node: nobody else will join, so don't wait before the first assignment.
    "group.initial.rebalance.delay.ms=0",
]
_CLUSTER = [
    "offsets.topic.replication.factor=3",
    "transaction.state.log.replication.factor=3",
    "transaction.state.log.min.isr=2",
    "share.coordinator.state.topic.replication.factor=3",
    "share.coordinator.state.topic.min.isr=2",
    "default.replication.factor=3",
    "min.insync.replicas=2",
    # Never elect a replica that missed acknowledged writes: an outage, never a silent loss.
    "unclean.leader.election.enable=false",
    "group.initial.rebalance.delay.ms=0",
    # A killed broker is noticed by missed heartbeats only (KRaft has no connection-loss signal):
    # the controller fences it, moves its leaderships and shrinks ISRs after the session timeout.
    # The default 9 s is a call's whole wait and more. Much lower fences live brokers whose
    # heartbeats are late because the host is starved (2.5 s did, at a load average of 100).
    "broker.heartbeat.interval.ms=750",
    "broker.session.timeout.ms=3000",
    # A broker killed with -9 recovers every partition's log before it serves again; the
    # default 50 partitions of consumer offsets were most of a restart on two shared cores.
    "offsets.topic.num.partitions=6",
    # The quorum's own failure detection (defaults 2 s and 1 s): on two shared cores a JVM can
    # stall longer than that, and a fresh cluster then held elections for minutes instead of
    # electing a controller. A dead active controller is replaced after about 4-6 s instead.
    "controller.quorum.fetch.timeout.ms=4000",
    "controller.quorum.election.timeout.ms=2000",
    # A restarted node registers with the quorum before it serves; under load on two shared
    # cores that took longer than the default 60 s and the node exited (failover test, load 50).
    "initial.broker.registration.timeout.ms=300000",
    # Leaders move back to a restarted broker only when it has caught up, a minute later at most.
    "leader.imbalance.check.interval.seconds=60",
]


def _roles(node: KafkaNode) -> list[str]:
    broker = f"PLAINTEXT://{node.address}"
    controller = f"CONTROLLER://127.0.0.1:{node.controller_port}"
    if node.is_broker and node.is_controller:  # the single node
        return [
            "process.roles=broker,controller",
            f"listeners={broker},{controller}",
            f"advertised.listeners={broker}",
            "inter.broker.listener.name=PLAINTEXT",
        ]
    if node.is_broker:
        return [
            "process.roles=broker",
            f"listeners={broker}",
            f"advertised.listeners={broker}",
            "inter.broker.listener.name=PLAINTEXT",
        ]
    return ["process.roles=controller", f"listeners={controller}"]


def properties(node: KafkaNode, cluster: tuple[KafkaNode, ...], data: Path) -> str:
    voters = ",".join(
        f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in cluster if n.is_controller
    )
    lines = [
        *_roles(node),
        f"node.id={node.node_id}",
        f"controller.quorum.voters={voters}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={data / 'logs'}",
        "num.partitions=1",
        # Topics are declared in one place (callplane_shared.topics); a typo must fail.
        "auto.create.topics.enable=false",
        *(_SINGLE if len(cluster) == 1 else _CLUSTER),
        "log.retention.hours=24",
        "",
    ]
    return "\n".join(lines)


def java(layout: Layout, heap: str = HEAP) -> list[str]:
    log4j = layout.repo / "deploy/local/kafka/log4j2.properties"
    argv = [shutil.which("java") or "java", *heap.split(), "-XX:+UseG1GC"]
    return [*argv, f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{kafka_libs(layout)}/*"]


def new_cluster_id() -> str:
    """A random id in Kafka's own form (URL-safe base64 of 16 bytes) that never starts with '-',
    as Kafka's `Uuid.randomUuid` ensures too: the storage tool would read `-t -x…` as a missing
    argument. One `make up` in 64 failed that way before."""
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not value.startswith("-"):
            return value


def _cluster_id(layout: Layout, cluster: tuple[KafkaNode, ...]) -> str:
    """One id for every node of a cluster, kept beside their data so a node formatted later
    (its folder removed after a crash) joins the same cluster."""
    if len(cluster) == 1:
        return new_cluster_id()
    path = layout.data_dir("kafka-cluster") / "cluster.id"
    if not path.exists():
        path.write_text(new_cluster_id())
    return path.read_text().strip()


def prepare(layout: Layout, node: KafkaNode, cluster: tuple[KafkaNode, ...]) -> list[str]:
    """Write the node's properties, format its KRaft storage once, return its command line."""
    data = layout.data_dir(node.name)
    props = data / "server.properties"
    props.write_text(properties(node, cluster, data))
    command = java(layout, HEAP if node.is_broker else CONTROLLER_HEAP)
    if not (data / "logs" / "meta.properties").exists():
        format_args = ["format", f"--cluster-id={_cluster_id(layout, cluster)}", "-c", str(props)]
        result = subprocess.run(
            [*command, "kafka.tools.StorageTool", *format_args],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ProvisionError(
                "formatting KRaft storage failed:\n" + result.stdout + result.stderr
            )
    return [*command, "kafka.Kafka", str(props)]
