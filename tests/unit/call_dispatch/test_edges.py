"""The adapters around the decider: trace headers, AsyncAPI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from opentelemetry.sdk.trace import TracerProvider

import call_dispatch
from call_dispatch.asyncapi import app as asyncapi_app
from call_dispatch.dispatcher import outgoing_trace
from callplane_shared.tracing import context_from_headers

pytestmark = pytest.mark.unit


def test_outgoing_trace_continues_the_callers_trace() -> None:
    parent = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert outgoing_trace() == ([], None)
    tracer = TracerProvider().get_tracer("test")
    context = context_from_headers([("traceparent", parent)])
    with tracer.start_as_current_span("handling", context=context):
        headers, trace_id = outgoing_trace()
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    sent = dict(headers)["traceparent"].decode()
    assert sent.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert sent != parent.decode()


def test_committed_asyncapi_matches_the_code() -> None:
    committed = Path(call_dispatch.__file__).parents[2] / "asyncapi.yaml"
    generated = asyncapi_app.schema.to_specification().to_yaml()
    # Compared as data: FastStream's channel order follows set iteration, which varies per run.
    same = yaml.safe_load(committed.read_text(encoding="utf-8")) == yaml.safe_load(generated)
    assert same, "asyncapi.yaml drifted: run `make asyncapi`"
    for topic in ("calls.inbound", "calls.decisions", "masking.requests", "voice.actions"):
        assert f"address: {topic}" in generated
