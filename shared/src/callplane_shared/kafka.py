"""The Kafka broker every service builds, with the settings the contract relies on."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY

from callplane_shared.settings import ServiceSettings


def build_broker(
    service_name: str, settings: ServiceSettings, tracer_provider: TracerProvider
) -> KafkaBroker:
    """A broker whose producer is idempotent with `acks=all`.

    Decisions and configuration events must not be lost or duplicated by the producer itself;
    consumers commit only after handling, so delivery is at-least-once end to end. Tracing goes
    through FastStream's middleware only (not also aiokafka's instrumentation, which would
    duplicate every span). Message rates and handling durations per topic come from FastStream's
    Prometheus middleware and appear at `/metrics`.
    """
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=service_name,
        acks="all",
        enable_idempotence=True,
        graceful_timeout=settings.shutdown_grace_seconds,
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service_name),
        ],
    )
