"""Where the real infrastructure is: the environment first, then testcontainers (where a Docker
engine answers), then the local stack that `make up` runs. Anything else fails with one line
saying what to run."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

LOCAL_KAFKA = "127.0.0.1:9092"
LOCAL_MONGODB = "mongodb://127.0.0.1:27017/"
LOCAL_JAEGER = "http://127.0.0.1:16686"
LOCAL_OTLP = "http://127.0.0.1:4317"
LOCAL_BASE_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Endpoints:
    kafka: str
    mongodb_uri: str
    jaeger_query: str
    otlp_grpc: str
    base_url: str
    source: str


class InfrastructureMissingError(RuntimeError):
    pass


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:  # noqa: BLE001 - no engine, whatever the reason
        return False
    return True


def from_environment() -> Endpoints | None:
    kafka = os.environ.get("CALLPLANE_TEST_KAFKA")
    mongodb = os.environ.get("CALLPLANE_TEST_MONGODB_URI")
    if not (kafka and mongodb):
        return None
    return Endpoints(
        kafka=kafka,
        mongodb_uri=mongodb,
        jaeger_query=os.environ.get("CALLPLANE_TEST_JAEGER_QUERY", LOCAL_JAEGER),
        otlp_grpc=os.environ.get("CALLPLANE_TEST_OTLP", LOCAL_OTLP),
        base_url=os.environ.get("CALLPLANE_TEST_BASE_URL", LOCAL_BASE_URL),
        source="environment",
    )


def from_local_stack() -> Endpoints | None:
    mongo = urlparse(LOCAL_MONGODB)
    if not (_answers("127.0.0.1", 9092) and _answers(mongo.hostname or "", mongo.port or 27017)):
        return None
    return Endpoints(LOCAL_KAFKA, LOCAL_MONGODB, LOCAL_JAEGER, LOCAL_OTLP, LOCAL_BASE_URL, "local")


def resolve() -> Endpoints:
    found = from_environment() or from_local_stack()
    if found is not None:
        return found
    if _docker_answers():
        from tests.containers import start_containers

        return start_containers()
    raise InfrastructureMissingError(
        "no Kafka/MongoDB for integration tests: run `make up` (or set CALLPLANE_TEST_KAFKA and "
        "CALLPLANE_TEST_MONGODB_URI)"
    )
