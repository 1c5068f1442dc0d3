"""OpenTelemetry SDK set-up, identical for every service.

Export is configured only by the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_EXPORTER`, `OTEL_TRACES_SAMPLER`,
`OTEL_RESOURCE_ATTRIBUTES`, ...), so the same image runs against Jaeger locally and any collector
in production without code changes.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

SERVICE_NAMESPACE = "callplane"


def package_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "0.0.0"


def _exporter() -> SpanExporter | None:
    # Mirrors the SDK's auto-configuration: "none" switches export off, the protocol variable
    # picks gRPC (the default) or HTTP; endpoints and headers are read by the exporters.
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return None
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    )
    if protocol.startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpExporter,
        )

        return HttpExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
        OTLPSpanExporter as GrpcExporter,
    )

    return GrpcExporter()


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


def configure_telemetry(service_name: str, distribution: str | None = None) -> TracerProvider:
    """Build the tracer provider for one service and install it globally.

    Sampling follows `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG`, which the SDK's provider
    reads itself when no sampler is passed.
    """
    provider = TracerProvider(resource=build_resource(service_name, distribution))
    exporter = _exporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _instrument_clients(provider)
    return provider


def _instrument_clients(provider: TracerProvider) -> None:
    """MongoDB commands and outbound HTTP (customer webhooks) become spans of the current trace;
    httpx also sends `traceparent`, so a customer's own tracing joins ours. Kafka is traced by
    FastStream's middleware only (see `kafka.build_broker`)."""
    for instrumentor in (PymongoInstrumentor(), HTTPXClientInstrumentor()):
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
