"""The adapter's use cases against fakes: a late callplane gets the configured default (and is
counted), a decision becomes Kamailio's plan, and a call's status events leave in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import REGISTRY

from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    ForwardInstruction,
    InboundCall,
)
from callplane_sip_edge.calls import CallBook, call_id_for
from callplane_sip_edge.edge import EdgePolicy, SipEdge
from callplane_sip_edge.ivr_scripts import IvrScripts
from callplane_sip_edge.wire import Timers
from tests.unit.sip_edge.builders import ROUTES, decision

pytestmark = pytest.mark.unit
TIMEOUTS = "callplane_sip_edge_decision_timeouts_total"


class FakeWaiter:
    def __init__(self) -> None:
        self.futures: dict[str, asyncio.Future[CallDecision]] = {}

    @property
    def pending(self) -> int:
        return len(self.futures)

    def expect(self, call_id: str) -> asyncio.Future[CallDecision]:
        return self.futures.setdefault(call_id, asyncio.get_running_loop().create_future())

    def forget(self, call_id: str) -> None:
        self.futures.pop(call_id, None)


class FakePublisher:
    def __init__(self, waiter: FakeWaiter, answer: CallDecision | None) -> None:
        self.waiter, self.answer = waiter, answer
        self.calls: list[tuple[InboundCall, str | None]] = []
        self.statuses: list[CallStatus] = []

    async def publish(self, call: InboundCall, *, traceparent: str | None = None) -> None:
        self.calls.append((call, traceparent))
        if self.answer is not None:
            self.waiter.futures[call.call_id].set_result(
                self.answer.model_copy(update={"call_id": call.call_id})
            )

    async def publish_status(self, status: CallStatus, *, traceparent: str | None = None) -> None:
        assert traceparent is not None  # status events join the INVITE's trace
        self.statuses.append(status)


def edge_with(
    answer: CallDecision | None, route_uri: str | None = None, scripts: IvrScripts | None = None
) -> tuple[SipEdge, FakePublisher, list[dict[str, Any]]]:
    waiter = FakeWaiter()
    publisher = FakePublisher(waiter, answer)
    policy = EdgePolicy(ROUTES, Timers(30_000, 4000), 0.05, route_uri, max_pending=10)
    tracer = TracerProvider().get_tracer("t")
    edge = SipEdge(policy, publisher, waiter, CallBook(100), tracer, scripts=scripts)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> bool:
        sent.append(message)
        return True

    edge.send = send
    return edge, publisher, sent


def invite(sip_call_id: str) -> dict[str, Any]:
    call = {
        "sipCallId": sip_call_id,
        "from": "+41791234567",
        "to": "4930123463",
        "fromHost": "caller.test",
        "ts": "1790000000.250000",
    }
    return {"event": "invite", "tindex": 3, "tlabel": 9, "call": call}


async def test_an_invite_is_published_with_its_trace_and_answered_with_the_plan() -> None:
    forward = decision(ForwardInstruction(destination="+41793026727", caller_id="+4930123463"))
    edge, publisher, sent = edge_with(forward)
    await edge.on_message(invite("a@b"))
    await edge.drain()
    call, traceparent = publisher.calls[0]
    assert (call.call_id, call.to, call.from_) == (
        call_id_for("a@b"),
        "+4930123463",
        "+41791234567",
    )
    assert traceparent is not None
    assert traceparent.startswith("00-")
    assert sent[0]["action"] == "relay"
    assert sent[0]["routing"]["routes"][0]["uri"] == "sip:+41793026727@ch.carrier.test:5070"


async def test_no_decision_in_time_rejects_with_503_and_is_counted() -> None:
    edge, _, sent = edge_with(None)
    before = REGISTRY.get_sample_value(TIMEOUTS, {"default": "reject"}) or 0
    await edge.on_message(invite("late@b"))
    await edge.drain()
    assert (sent[0]["action"], sent[0]["code"]) == ("reject", 503)
    assert REGISTRY.get_sample_value(TIMEOUTS, {"default": "reject"}) == before + 1


async def test_no_decision_in_time_takes_the_static_route_when_configured() -> None:
    edge, _, sent = edge_with(None, route_uri="sip:fallback@pbx.test")
    await edge.on_message(invite("late2@b"))
    await edge.drain()
    assert sent[0]["routing"]["routes"][0]["uri"] == "sip:fallback@pbx.test"


async def test_a_malformed_invite_gets_400_and_publishes_nothing() -> None:
    edge, publisher, sent = edge_with(None)
    message = invite("x@y")
    message["call"]["to"] = "<script>"
    await edge.on_message(message)
    await edge.drain()
    assert sent[0]["code"] == 400
    assert publisher.calls == []


async def test_status_events_of_a_call_leave_in_order() -> None:
    forward = decision(ForwardInstruction(destination="+41793026727", caller_id="+4930123463"))
    edge, publisher, _ = edge_with(forward)
    await edge.on_message(invite("s@b"))
    await edge.drain()
    for event, ts in (
        ("ringing", "1790000001"),
        ("answered", "1790000002"),
        ("ended", "1790000009.4"),
    ):
        await edge.on_message({"event": event, "sipCallId": "s@b", "ts": ts})
    await edge.drain()
    states = [s.state for s in publisher.statuses]
    assert states == [CallState.RINGING, CallState.ESTABLISHED, CallState.FINISHED]
    assert publisher.statuses[-1].duration_seconds == 7
    assert publisher.statuses[-1].transfer_to == "+41793026727"
