"""How a decision is summarised for people (simulate, show, tail)."""

from __future__ import annotations

import pytest

from callplane_client.cli.calls import spans
from callplane_client.cli.decisions import instruction_text, summary, trace_id

pytestmark = pytest.mark.unit


def test_a_decision_reads_as_kind_and_its_fields() -> None:
    decision = {
        "callId": "c-1",
        "number": "+4930123463",
        "instruction": {"kind": "forward", "destination": "+41793026727", "callerId": "+4144"},
        "path": "fallback",
        "pathReason": "primary: timeout",
        "traceUrl": "http://127.0.0.1:16686/api/traces/ab",
    }
    row = summary(decision)
    assert row["decision"] == "forward destination=+41793026727 callerId=+4144"
    assert row["path"] == "fallback"
    assert row["trace"] == "http://127.0.0.1:16686/api/traces/ab"
    assert "latencyMs" not in row  # absent fields are left out, not shown as "-"


def test_a_log_entry_reads_its_nested_decision() -> None:
    entry = {
        "callId": "c-2",
        "outcome": "decided",
        "latencyMs": 3.5,
        "decision": {"instruction": {"kind": "reject", "reason": "NO_ACTION"}, "path": "rejected"},
    }
    row = summary(entry)
    assert row["decision"] == "reject reason=NO_ACTION"
    assert row["path"] == "rejected"
    assert row["latencyMs"] == 3.5


def test_routing_shows_the_first_destination() -> None:
    instruction = {
        "kind": "call_routing",
        "routeId": "r-1",
        "destinations": [{"type": "ENDPOINT", "value": {"phoneNumber": "41793026727"}}],
    }
    assert instruction_text(instruction) == "call_routing routeId=r-1 first=41793026727"


def test_the_trace_id_comes_from_the_traceparent_header() -> None:
    header = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    assert trace_id(header) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id([("traceparent", b"garbage")]) is None
    assert trace_id(None) is None


def test_spans_are_ordered_with_offsets_from_the_first() -> None:
    trace = {
        "processes": {"p1": {"serviceName": "call-dispatch"}, "p2": {"serviceName": "masking"}},
        "spans": [
            {"processID": "p2", "operationName": "b", "startTime": 3000, "duration": 500},
            {"processID": "p1", "operationName": "a", "startTime": 1000, "duration": 4000},
        ],
    }
    rows = spans(trace)
    assert [(r["service"], r["atMs"], r["durationMs"]) for r in rows] == [
        ("call-dispatch", 0.0, 4.0),
        ("masking", 2.0, 0.5),
    ]
