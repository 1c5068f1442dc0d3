"""OpenTelemetry SDK set-up, identical for every service.

Export is configured only by the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_EXPORTER`, `OTEL_TRACES_SAMPLER`,
`OTEL_RESOURCE_ATTRIBUTES`, ...), so the same image runs against Jaeger locally and any collector
in production without code changes.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from opentelemetry import trace
from opentelemetry.distro import OpenTelemetryConfigurator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

SERVICE_NAMESPACE = "callplane"
_EXPORTER_DEFAULTS = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
}


def package_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "0.0.0"


def build_resource(service_name: str, distribution: str | None = None) -> Resource:
    """Resource attributes: the service's one name, our namespace, version and environment."""
    return Resource.create(
        {
            "service.name": service_name,
            "service.namespace": SERVICE_NAMESPACE,
            "service.version": package_version(distribution or service_name),
            "deployment.environment": os.environ.get("CALLPLANE_ENVIRONMENT", "local"),
        }
    )


CLIENTS = ("pymongo", "httpx")
"""The client libraries whose calls become spans, unless a service says it uses fewer."""


def configure_telemetry(
    service_name: str, distribution: str | None = None, *, clients: tuple[str, ...] = CLIENTS
) -> TracerProvider:
    """Install the OpenTelemetry SDK for one service, configured by the SDK itself from the
    standard `OTEL_*` variables (exporters, protocol, endpoint, headers, sampler), and return the
    tracer provider.

    Only the defaults differ from the SDK's: traces go to OTLP unless `OTEL_TRACES_EXPORTER` says
    otherwise, while metrics and logs are not exported (Prometheus scrapes `/metrics`; logs are
    JSON lines on stdout), exactly as the OpenTelemetry distro sets its own defaults.

    `clients`: the libraries to instrument (`CLIENTS`). A service that uses neither passes `()`
    and does not import their instrumentation: call-dispatch, whose restarted replica's
    partitions wait for its start-up (its imports went from 1.82 to 1.41 s with this and the
    other lazy imports).
    """
    for variable, default in _EXPORTER_DEFAULTS.items():
        os.environ.setdefault(variable, default)
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        provider = TracerProvider(resource=build_resource(service_name, distribution))
    else:
        resource = build_resource(service_name, distribution)
        installed = trace.get_tracer_provider()
        if not isinstance(installed, TracerProvider):
            configurator = OpenTelemetryConfigurator()  # type: ignore[no-untyped-call]
            configurator.configure(resource_attributes=dict(resource.attributes))  # type: ignore[no-untyped-call]
            installed = trace.get_tracer_provider()
        # A process builds one service; a test process that builds several keeps the first
        # provider installed (the SDK refuses to replace it) and gets a private one for the rest.
        provider = (
            installed
            if isinstance(installed, TracerProvider) and _names(installed) == service_name
            else TracerProvider(resource=resource)
        )
    _instrument_clients(provider, clients)
    return provider


def _names(provider: TracerProvider) -> object:
    return provider.resource.attributes.get("service.name")


def _instrument_clients(provider: TracerProvider, clients: tuple[str, ...]) -> None:
    """MongoDB commands and outbound HTTP (customer webhooks) become spans of the current trace;
    httpx also sends `traceparent`, so a customer's own tracing joins ours. Kafka is traced by
    FastStream's middleware only (see `kafka.build_broker`)."""
    # Imported here: each instrumentation imports its library (about 0.25 s each).
    instrumentors: list[Any] = []
    if "pymongo" in clients:
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        instrumentors.append(PymongoInstrumentor())
    if "httpx" in clients:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        instrumentors.append(HTTPXClientInstrumentor())
    for instrumentor in instrumentors:
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)


class Attr:
    """Our span attributes, all in the `callplane.` namespace and defined only here.

    Never put a secret or a full API key into an attribute: spans leave the process.
    """

    CALL_ID = "callplane.call.id"
    NUMBER = "callplane.number"
    ACCOUNT_ID = "callplane.account.id"
    ACTION_TYPE = "callplane.action.type"
    ACTION_VERSION = "callplane.action.version"
    DECISION_KIND = "callplane.decision.kind"
    DECISION_PATH = "callplane.decision.path"
    DECISION_REASON = "callplane.decision.reason"
    MASKING_CONFIG_KEY = "callplane.masking.config_key"
    ROUTE_ID = "callplane.route.id"
