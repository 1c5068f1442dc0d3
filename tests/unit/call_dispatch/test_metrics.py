"""call-dispatch's metrics and span attributes: labels from decisions, cached children, view
gauges that follow the view without work per record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry, Histogram
from pydantic import BaseModel

from call_dispatch.decider import Decided, HandedToMasking, decide
from call_dispatch.dispatcher import annotate
from call_dispatch.metrics import DecisionMetrics, watch_view
from call_dispatch.view import DispatchView
from callplane_shared.metrics import LATENCY_BUCKETS, decision_labels
from callplane_shared.telemetry import Attr
from callplane_shared.voice import ForwardToIvr, ForwardToPstn, VoiceNumberMasking
from tests.support import unique
from tests.unit.call_dispatch.builders import (
    action_set,
    inbound,
    route,
    route_upserted,
    scenario_record,
    unique_number,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _bytes(event: BaseModel) -> bytes:
    return event.model_dump_json(by_alias=True).encode()


def _decided(view: DispatchView, number: str) -> Decided:
    outcome = decide(inbound(number, received_at=NOW), view, NOW)
    assert isinstance(outcome, Decided)
    return outcome


def test_labels_name_the_action_kind_path_and_reject_reason() -> None:
    view = DispatchView()
    number = unique_number()
    view.set_action(action_set(number, 2, ForwardToPstn(pstn_number="+41445550201")))
    no_action = unique_number()
    view.set_action(action_set(no_action, 1, None))

    assert decision_labels(_decided(view, number).decision) == (
        "FORWARD_TO_PSTN",
        "forward",
        "direct",
        "",
    )
    assert decision_labels(_decided(view, no_action).decision) == (
        "none",
        "reject",
        "rejected",
        "NO_ACTION",
    )
    assert decision_labels(_decided(view, unique_number()).decision) == (
        "none",
        "reject",
        "rejected",
        "NUMBER_NOT_IN_SERVICE",
    )


def test_decisions_are_counted_and_timed_per_label_set() -> None:
    service = unique("unit")  # a label of its own, so other tests' counts do not interfere
    view = DispatchView()
    number = unique_number()
    view.set_action(action_set(number, 1, ForwardToIvr(scenario_key="s")))
    view.apply_scenario(*scenario_record("s", 1))
    metrics = DecisionMetrics(service)
    ivr = _decided(view, number).decision
    rejected = _decided(view, unique_number()).decision

    metrics.decided(ivr, 0.004)
    metrics.decided(ivr, 0.004)
    metrics.decided(rejected, 0.3)
    metrics.decided(rejected, 0.25)  # on a bound: counted in that bucket, as observe() does
    metrics.flush()
    metrics.decided(ivr, 20.0)  # not flushed: not visible yet

    ivr_labels = {
        "service": service,
        "action_type": "FORWARD_TO_IVR",
        "kind": "ivr",
        "path": "direct",
        "reason": "",
    }
    assert REGISTRY.get_sample_value("callplane_decisions_total", ivr_labels) == 2
    reject_labels = {**ivr_labels, "action_type": "none", "kind": "reject", "path": "rejected"}
    reject_labels["reason"] = "NUMBER_NOT_IN_SERVICE"
    assert REGISTRY.get_sample_value("callplane_decisions_total", reject_labels) == 2
    latency = {"service": service, "kind": "ivr", "le": "0.005"}
    assert REGISTRY.get_sample_value("callplane_decision_latency_seconds_bucket", latency) == 2
    at_bound = {"service": service, "kind": "reject", "le": "0.25"}
    assert REGISTRY.get_sample_value("callplane_decision_latency_seconds_bucket", at_bound) == 1
    total = {"service": service, "kind": "reject"}
    assert REGISTRY.get_sample_value("callplane_decision_latency_seconds_sum", total) == 0.55
    assert REGISTRY.get_sample_value("callplane_decision_latency_seconds_count", total) == 2


def test_flushed_buckets_equal_what_histogram_observe_yields() -> None:
    service = unique("unit")
    view = DispatchView()
    decision = _decided(view, unique_number()).decision
    metrics = DecisionMetrics(service)
    reference = Histogram("reference", "", registry=CollectorRegistry(), buckets=LATENCY_BUCKETS)
    values = [-0.001, 0, 0.001, 0.0015, *LATENCY_BUCKETS, 0.3, 9.99, 10.01, 1e6]
    for v in values:
        metrics.decided(decision, v)
        reference.observe(v)
    metrics.flush()

    expected = {
        s.labels["le"]: s.value
        for s in next(iter(reference.collect())).samples
        if s.name.endswith("_bucket")
    }
    actual = {
        le: REGISTRY.get_sample_value(
            "callplane_decision_latency_seconds_bucket",
            {"service": service, "kind": "reject", "le": le},
        )
        for le in expected
    }
    assert actual == expected


def test_live_counts_follow_sets_tombstones_and_stale_records() -> None:
    view = DispatchView()
    a, b = unique_number(), unique_number()
    view.apply_action(a.encode(), _bytes(action_set(a, 1, None)))
    view.apply_action(b.encode(), _bytes(action_set(b, 1, None)))
    view.apply_action(a.encode(), _bytes(action_set(a, 2, None)))  # replaces, not a new number
    view.apply_action(b.encode(), _bytes(action_set(b, 1, None)))  # stale
    assert view.numbers_live == view.numbers_held == 2

    view.apply_action(a.encode(), None)
    view.apply_action(a.encode(), None)  # a second tombstone removes nothing more
    view.apply_action(unique_number().encode(), None)
    assert view.numbers_live == view.numbers_held == 1
    view.apply_action(a.encode(), _bytes(action_set(a, 3, None)))  # back with a higher version
    assert view.numbers_live == view.numbers_held == 2

    r = route("acc-1")
    view.apply_route(r.id.encode(), _bytes(route_upserted(r)))
    view.set_route(r.model_copy(update={"version": 2}))
    assert view.routes_live == view.routes_held == 1
    view.apply_route(r.id.encode(), None)
    assert view.routes_live == view.routes_held == 0
    assert view.actions_applied_at > 0
    assert view.routes_applied_at > 0


def test_view_gauges_are_read_from_the_view_at_scrape_time() -> None:
    service = unique("unit")
    view = DispatchView()
    watch_view(view, service)
    actions = {"service": service, "view": "voice.actions"}
    assert REGISTRY.get_sample_value("callplane_view_entries", actions) == 0
    assert REGISTRY.get_sample_value("callplane_view_last_applied_timestamp_seconds", actions) == 0

    number = unique_number()
    view.apply_action(number.encode(), _bytes(action_set(number, 1, None)))

    assert REGISTRY.get_sample_value("callplane_view_entries", actions) == 1
    applied = REGISTRY.get_sample_value("callplane_view_last_applied_timestamp_seconds", actions)
    assert applied == view.actions_applied_at


def test_traced_spans_carry_the_call_and_its_decision() -> None:
    tracer = TracerProvider().get_tracer("unit")
    view = DispatchView()
    number = unique_number()
    view.set_action(action_set(number, 4, None))
    call = inbound(number, received_at=NOW)
    span = tracer.start_span("calls.inbound process")
    annotate(span, call, decide(call, view, NOW))
    span.end()
    assert isinstance(span, ReadableSpan)

    assert span.attributes == {
        Attr.CALL_ID: call.call_id,
        Attr.NUMBER: number,
        Attr.ACTION_VERSION: 4,
        Attr.DECISION_KIND: "reject",
        Attr.DECISION_PATH: "rejected",
        Attr.DECISION_REASON: "NO_ACTION",
    }


def test_a_masked_call_span_names_the_handover() -> None:
    tracer = TracerProvider().get_tracer("unit")
    view = DispatchView()
    number = unique_number()
    view.set_action(action_set(number, 2, VoiceNumberMasking(voice_number_masking_config_key="K")))
    call = inbound(number, received_at=NOW)
    outcome = decide(call, view, NOW)
    assert isinstance(outcome, HandedToMasking)
    span = tracer.start_span("calls.inbound process")
    annotate(span, call, outcome)
    span.end()
    assert isinstance(span, ReadableSpan)

    assert span.attributes is not None
    assert span.attributes[Attr.ACTION_TYPE] == "VOICE_NUMBER_MASKING"
    assert span.attributes[Attr.MASKING_CONFIG_KEY] == "K"
    assert Attr.DECISION_PATH not in span.attributes
