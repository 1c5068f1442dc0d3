"""The processes of the local stack: how each is provisioned, started and asked if it is ready."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stackctl import probes
from stackctl.layout import Layout
from stackctl.nginx import PUBLIC_PORT, render
from stackctl.provision import ProvisionError, go_tool, kafka_libs

KAFKA = "127.0.0.1:9092"
MONGODB = "mongodb://127.0.0.1:27017/"
OTLP_GRPC = "http://127.0.0.1:4317"
JAEGER_QUERY = "http://127.0.0.1:16686"
KAFKA_HEAP = "-Xms512m -Xmx1g"  # a single dev broker: far below what 24 GiB allows, on purpose

Argv = Sequence[str]


@dataclass(frozen=True)
class Component:
    name: str
    ports: Mapping[int, str]  # port → what it serves, for "port already in use" messages
    prepare: Callable[[Layout], Argv]  # provision and configure; returns the command line
    ready: Callable[[], bool]
    timeout_seconds: float = 60.0
    env: Callable[[Layout], Mapping[str, str]] = field(default=lambda _: {})


def _kafka(layout: Layout) -> Argv:
    libs = kafka_libs(layout)
    data = layout.data_dir("kafka")
    props = data / "server.properties"
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:9093",
                "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
                "advertised.listeners=PLAINTEXT://127.0.0.1:9092",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={data / 'logs'}",
                "num.partitions=1",
                # Topics are declared in one place (callplane_shared.topics); a typo must fail.
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                # One node: nobody else will join, so don't wait before the first assignment.
                "group.initial.rebalance.delay.ms=0",
                "log.retention.hours=24",
                "",
            ]
        )
    )
    classpath = f"{libs}/*"
    log4j = layout.repo / "deploy/local/kafka/log4j2.properties"
    java = [shutil.which("java") or "java", *KAFKA_HEAP.split(), "-XX:+UseG1GC"]
    java += [f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
    if not (data / "logs" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ProvisionError(
                "formatting KRaft storage failed:\n" + result.stdout + result.stderr
            )
    return [*java, "kafka.Kafka", str(props)]


def _ferretdb(layout: Layout) -> Argv:
    binary = go_tool(layout, "ferretdb", "github.com/FerretDB/FerretDB", ".")
    data = layout.data_dir("ferretdb")
    return [
        str(binary),
        f"--sqlite-url=file:{data}/",
        "--listen-addr=127.0.0.1:27017",
        "--log-level=warn",
    ]


def _jaeger(layout: Layout) -> Argv:
    binary = go_tool(
        layout,
        "jaeger",
        "github.com/jaegertracing/jaeger",
        "github.com/jaegertracing/jaeger/cmd/jaeger",
    )
    return [str(binary), "--config", str(layout.repo / "deploy/local/jaeger/config.yaml")]


def _nginx(layout: Layout) -> Argv:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise ProvisionError("nginx is not installed: `sudo apt-get install nginx-light`")
    conf = render(layout)
    return [binary, "-p", str(conf.parent), "-c", str(conf), "-e", "stderr"]


INFRASTRUCTURE: tuple[Component, ...] = (
    Component(
        "kafka",
        {9092: "Kafka broker", 9093: "Kafka controller"},
        _kafka,
        lambda: probes.kafka_metadata(KAFKA),
        timeout_seconds=90,
    ),
    Component(
        "ferretdb",
        {27017: "MongoDB wire (FerretDB)"},
        _ferretdb,
        lambda: probes.mongo_ping(MONGODB),
    ),
    Component(
        "jaeger",
        {4317: "OTLP gRPC", 4318: "OTLP HTTP", 16686: "Jaeger query"},
        _jaeger,
        lambda: probes.http_ok(f"{JAEGER_QUERY}/api/services"),
    ),
    Component(
        "nginx",
        {PUBLIC_PORT: "public API (nginx)"},
        _nginx,
        lambda: probes.http_ok(f"http://127.0.0.1:{PUBLIC_PORT}/nginx-health"),
    ),
)


def _dev_settings(layout: Layout) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in (layout.repo / "deploy/local/services.env").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = os.environ.get(key.strip(), value.strip())
    return values


def _service(name: str, port: int) -> Component:
    module = name.replace("-", "_")

    def prepare(_: Layout) -> Argv:
        return [sys.executable, "-m", module]

    def env(layout: Layout) -> Mapping[str, str]:
        return {
            **_dev_settings(layout),
            "HTTP_PORT": str(port),
            "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", KAFKA),
            "MONGODB_URI": os.environ.get("MONGODB_URI", MONGODB),
            "OTEL_EXPORTER_OTLP_ENDPOINT": os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", OTLP_GRPC),
            "OTEL_SERVICE_NAME": name,
        }

    return Component(
        name,
        {port: f"{name} HTTP"},
        prepare,
        lambda: probes.http_ok(f"http://127.0.0.1:{PUBLIC_PORT}/_services/{name}/readyz"),
        env=env,
    )


def services(layout: Layout) -> tuple[Component, ...]:
    table = yaml.safe_load((layout.repo / "deploy/routes.yaml").read_text())
    return tuple(_service(name, spec["port"]) for name, spec in table["services"].items())
