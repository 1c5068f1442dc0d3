"""Testcontainers, for machines with a Docker engine (none on the project's own machines).

Only Kafka and MongoDB: tests that need Jaeger or the running services use the endpoints of
`make up` (or the CALLPLANE_TEST_* variables).
"""

from __future__ import annotations

import atexit

from testcontainers.kafka import KafkaContainer
from testcontainers.mongodb import MongoDbContainer

from tests.endpoints import LOCAL_BASE_URL, LOCAL_JAEGER, LOCAL_OTLP, Endpoints


def start_containers() -> Endpoints:
    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    mongo = MongoDbContainer("mongo:8.0")
    kafka.start()
    mongo.start()
    atexit.register(kafka.stop)
    atexit.register(mongo.stop)
    return Endpoints(
        kafka=kafka.get_bootstrap_server(),
        mongodb_uri=mongo.get_connection_url(),
        jaeger_query=LOCAL_JAEGER,
        otlp_grpc=LOCAL_OTLP,
        base_url=LOCAL_BASE_URL,
        source="testcontainers",
    )
