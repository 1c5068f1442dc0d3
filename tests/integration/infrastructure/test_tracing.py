"""A span exported over OTLP gRPC is found again through Jaeger's query API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from callplane_shared.telemetry import build_resource
from tests.endpoints import Endpoints
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


async def test_span_reaches_jaeger(endpoints: Endpoints) -> None:
    service = unique("it-tracing")
    provider = TracerProvider(resource=build_resource(service))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoints.otlp_grpc, insecure=True))
    )
    with provider.get_tracer("tests").start_as_current_span("probe") as span:
        span.set_attribute("callplane.call.id", service)
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()

    async def find_trace() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=endpoints.jaeger_query, timeout=5) as client:
            response = await client.get(f"/api/traces/{trace_id}")
        if response.status_code != 200:
            return None
        data: list[dict[str, Any]] = response.json().get("data") or []
        return data[0] if data else None

    trace = await eventually(find_trace, timeout=20, what=f"trace {trace_id} in Jaeger")
    spans = trace["spans"]
    assert [s["operationName"] for s in spans] == ["probe"]
    process = trace["processes"][spans[0]["processID"]]
    tags = {t["key"]: t["value"] for t in process["tags"]}
    assert process["serviceName"] == service
    assert tags["service.namespace"] == "callplane"
