"""The adapter's use cases: an INVITE event becomes an InboundCall and, once callplane decided
(or did not in time), a SIP plan for Kamailio; dialog events become CallStatus events."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from opentelemetry import propagate, trace
from opentelemetry.context import Context

from callplane_shared.events import CallDecision, CallEndpoint, CallStatus, InboundCall
from callplane_shared.telemetry import Attr
from callplane_sip_edge import metrics
from callplane_sip_edge.calls import CallBook, SipCall, call_id_for
from callplane_sip_edge.ivr_scripts import IvrScripts
from callplane_sip_edge.plan import EdgeRoutes, Plan, Reject, Relay, plan_for
from callplane_sip_edge.responses import BAD_REQUEST, DECISION_TIMEOUT, OVERLOADED
from callplane_sip_edge.wire import Timers, to_kamailio

log = logging.getLogger(__name__)
_NUMBER = re.compile(r"^\+?[0-9]{1,20}$")
_MAX_FIELD = 256


class Publisher(Protocol):
    async def publish(self, call: InboundCall, *, traceparent: str | None = None) -> None: ...
    async def publish_status(
        self, status: CallStatus, *, traceparent: str | None = None
    ) -> None: ...


class Waiter(Protocol):
    def expect(self, call_id: str) -> asyncio.Future[CallDecision]: ...
    def forget(self, call_id: str) -> None: ...
    @property
    def pending(self) -> int: ...


Send = Callable[[dict[str, Any]], Awaitable[bool]]


@dataclass(frozen=True)
class EdgePolicy:
    routes: EdgeRoutes
    timers: Timers
    decision_timeout: float
    timeout_route_uri: str | None  # None: reject with 503 when callplane is late
    max_pending: int


class SipEdge:
    def __init__(
        self,
        policy: EdgePolicy,
        publisher: Publisher,
        waiter: Waiter,
        book: CallBook,
        tracer: trace.Tracer,
        *,
        scripts: IvrScripts | None = None,
    ) -> None:
        self._policy = policy
        self._scripts = scripts  # None: no media server fetches scripts here
        self._publisher = publisher
        self._waiter = waiter
        self._book = book
        self._tracer = tracer
        self._tasks: set[asyncio.Task[None]] = set()
        # Status events of one call are published in order: each waits for the one before.
        self._last_status: dict[str, asyncio.Task[None]] = {}
        self.send: Send | None = None

    async def on_message(self, message: dict[str, Any]) -> None:
        """Called for every evapi message, in arrival order; never blocks on Kafka."""
        event = message.get("event")
        if event == "invite":
            self._spawn(self._invite(message))
        elif event in {"ringing", "answered", "ended", "unanswered"}:
            self._dialog_event(str(event), message)
        else:
            metrics.DROPPED_EVENTS.labels("malformed").inc()

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _invite(self, message: dict[str, Any]) -> None:
        began = time.perf_counter()
        tindex, tlabel = message.get("tindex"), message.get("tlabel")
        call = message.get("call")
        if not isinstance(tindex, int) or not isinstance(tlabel, int):
            metrics.DROPPED_EVENTS.labels("malformed").inc()
            return
        fields = _invite_fields(call)
        if fields is None:
            metrics.DROPPED_EVENTS.labels("malformed").inc()
            await self._answer(Reject("INVALID_INPUT", BAD_REQUEST), tindex, tlabel, "")
            return
        sip_call_id, caller, called, from_host, received_at = fields
        if self._waiter.pending >= self._policy.max_pending:
            metrics.INVITES.labels("OVERLOADED").inc()
            await self._answer(Reject("OVERLOADED", OVERLOADED), tindex, tlabel, from_host)
            return
        with self._tracer.start_as_current_span(
            "sip INVITE",
            context=Context(),  # a SIP call's trace starts here, at the edge
            kind=trace.SpanKind.SERVER,
            attributes={Attr.NUMBER: called, "sip.call_id": sip_call_id},
        ) as span:
            call_id = call_id_for(sip_call_id)
            span.set_attribute(Attr.CALL_ID, call_id)
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            traceparent = carrier.get("traceparent")
            self._book.open(
                sip_call_id,
                SipCall(call_id, caller, called, received_at, traceparent=traceparent),
            )
            metrics.CALLS_TRACKED.set(len(self._book))
            inbound = InboundCall(
                call_id=call_id,
                from_=caller,
                to=called,
                received_at=received_at,
                endpoint=CallEndpoint(),
                sip_headers={"Call-ID": sip_call_id},
            )
            plan = await self._decide(inbound, traceparent)
            span.set_attribute("sip.plan", plan.reason if isinstance(plan, Reject) else plan.kind)
            await self._answer(plan, tindex, tlabel, from_host)
        if isinstance(plan, Reject):
            self._publish(
                sip_call_id,
                self._book.rejected(sip_call_id, datetime.now(UTC), plan.answer.code, plan.reason),
                traceparent,
            )
        else:
            known = self._book.get(sip_call_id)
            if known is not None:
                known.transfer_to = plan.transfer_to
        metrics.INVITES.labels(plan.reason if isinstance(plan, Reject) else plan.kind).inc()
        metrics.DECISION_SECONDS.observe(time.perf_counter() - began)

    async def _decide(self, inbound: InboundCall, traceparent: str | None) -> Plan:
        decision = self._waiter.expect(inbound.call_id)
        try:
            async with asyncio.timeout(self._policy.decision_timeout):
                await self._publisher.publish(inbound, traceparent=traceparent)
                decided = await decision
                if self._scripts is not None:  # before the media server asks for it
                    self._scripts.remember(decided.instruction)
                return plan_for(decided, inbound.from_, self._policy.routes)
        except TimeoutError:
            return self._timeout_default(inbound.from_, inbound.to)
        finally:
            self._waiter.forget(inbound.call_id)

    def _timeout_default(self, caller: str, called: str) -> Plan:
        route = self._policy.timeout_route_uri
        metrics.DECISION_TIMEOUTS.labels("route" if route else "reject").inc()
        if route is None:
            return Reject("DECISION_TIMEOUT", DECISION_TIMEOUT)
        return Relay("timeout_route", (route,), caller, called)

    async def _answer(self, plan: Plan, tindex: int, tlabel: int, from_host: str) -> None:
        message = to_kamailio(plan, tindex, tlabel, from_host or "invalid", self._policy.timers)
        if self.send is None or not await self.send(message):
            log.warning("Kamailio went away before the answer for transaction %s", tindex)

    def _dialog_event(self, event: str, message: dict[str, Any]) -> None:
        sip_call_id = message.get("sipCallId")
        at = _timestamp(message.get("ts"))
        if not isinstance(sip_call_id, str) or at is None:
            metrics.DROPPED_EVENTS.labels("malformed").inc()
            return
        call = self._book.get(sip_call_id)
        traceparent = call.traceparent if call else None
        status: CallStatus | None
        if event == "ringing":
            status = self._book.ringing(sip_call_id, at)
        elif event == "answered":
            status = self._book.answered(sip_call_id, at)
        elif event == "ended":
            status = self._book.ended(sip_call_id, at)
        else:
            code = message.get("code")
            status = self._book.unanswered(
                sip_call_id,
                at,
                code if isinstance(code, int) else 0,
                message.get("canceled") is True,
            )
        if call is None:
            metrics.DROPPED_EVENTS.labels("unknown_call").inc()
        metrics.CALLS_TRACKED.set(len(self._book))
        self._publish(sip_call_id, status, traceparent)

    def _publish(
        self, sip_call_id: str, status: CallStatus | None, traceparent: str | None = None
    ) -> None:
        if status is None:
            return
        before = self._last_status.get(sip_call_id)

        async def publish() -> None:
            if before is not None:
                await asyncio.gather(before, return_exceptions=True)
            try:
                await self._publisher.publish_status(status, traceparent=traceparent)
                metrics.STATUSES.labels(status.state.value).inc()
            except Exception:
                log.exception("could not publish %s for %s", status.state, status.call_id)
                raise
            finally:
                if self._last_status.get(sip_call_id) is task:
                    del self._last_status[sip_call_id]

        task = self._spawn(publish())
        self._last_status[sip_call_id] = task


def _invite_fields(call: object) -> tuple[str, str, str, str, datetime] | None:
    """The INVITE's Call-ID, caller, E.164 called number, From host and time, or None."""
    if not isinstance(call, dict):
        return None
    values = [call.get(k) for k in ("sipCallId", "from", "to", "fromHost")]
    if not all(isinstance(v, str) and 0 < len(v) <= _MAX_FIELD for v in values[:3]):
        return None
    sip_call_id, caller, called, from_host = (str(v or "") for v in values)
    at = _timestamp(call.get("ts")) or datetime.now(UTC)
    if not _NUMBER.match(called):
        return None
    return sip_call_id, caller, _e164(called), from_host[:_MAX_FIELD], at


def _e164(number: str) -> str:
    return number if number.startswith("+") else f"+{number}"


def _timestamp(value: object) -> datetime | None:
    """Kamailio's `$TV(Sn)` ("seconds.micros") as an aware datetime."""
    try:
        return datetime.fromtimestamp(float(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
