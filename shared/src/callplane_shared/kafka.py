"""The Kafka broker every service builds, with the settings the contract relies on.

Producers that carry data we must not lose, and so use `PRODUCER_OPTIONS` (`acks=all` and
idempotence; with the topics' `min.insync.replicas=2` of production, an acknowledged record is
on two brokers): that is every producer of ours, namely

- each service's FastStream broker (`build_broker`): `voice.actions`, `voice.routes`,
  `ivr.scenarios`, `accounts`, `accounts.balance`, `numbers.lifecycle`, `masking.configs`,
  number-masking's `calls.decisions`, call-records' `calls.charges`, every `<topic>.dlq`, and the
  outbox relays that re-publish them;
- call-dispatch's decision producer (librdkafka, `call_dispatch.kafka_link`: the same two
  settings in librdkafka's names): `calls.decisions`, `masking.requests`, `calls.inbound.dlq`;
- the edge publisher in `callplane_client` (`calls.inbound` and `calls.status`, also behind
  `callplane calls simulate` and the reference sip-edge adapter).

`payments` is produced by the payment system, not by callplane.

Benchmarks and tests may produce as they like; nothing else in the product does.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY

from callplane_shared.librdkafka import sasl_credentials
from callplane_shared.settings import ServiceSettings

# Idempotence makes the producer's own retries safe (no duplicate, no reordering within a
# partition) and, in aiokafka, retries a failed batch until it is written instead of expiring it.
PRODUCER_OPTIONS: dict[str, Any] = {"acks": "all", "enable_idempotence": True}


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
        # A list: FastStream hands a string to aiokafka as one host, commas and all.
        [host.strip() for host in settings.kafka_bootstrap_servers.split(",") if host.strip()],
        client_id=service_name,
        **PRODUCER_OPTIONS,
        graceful_timeout=settings.shutdown_grace_seconds,
        security=broker_security(settings),
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service_name),
        ],
    )


def _ssl_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol not in {"SSL", "SASL_SSL"}:
        return None
    context: ssl.SSLContext = create_ssl_context(cafile=settings.kafka_ssl_ca_file)
    return context


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for every raw aiokafka client of ours (views, own consumers, admin):
    the bootstrap servers and the same security the broker uses. Producers add
    `PRODUCER_OPTIONS`."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = _ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        mechanism, username, password = sasl_credentials(settings)
        options |= {
            "sasl_mechanism": mechanism,
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    return options


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = _ssl_context(settings)
    use_ssl = protocol.endswith("SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    mechanism, username, password = sasl_credentials(settings)
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return sasl[mechanism](username, password, ssl_context=context, use_ssl=use_ssl)
