"""Thin Kafka handlers: decode, apply to the record, rate what finished.

Wiring at a glance (one consumer group, `call-records`):
  calls.inbound   → RecordStore.apply_inbound
  calls.decisions → RecordStore.apply_decision → Charger.settle → calls.charges
  calls.status    → RecordStore.apply_status   → Charger.settle → calls.charges
and after each write `after_write(callId)` (call events for subscriptions, `call_events`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from faststream.kafka import KafkaBroker
from opentelemetry import trace

from call_records import SERVICE_NAME
from call_records.charging import Charger
from call_records.records import RecordStore
from callplane_shared.consuming import consume
from callplane_shared.events import CallDecision, CallStatus, InboundCall
from callplane_shared.logs import current_call_id
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS

E = TypeVar("E", InboundCall, CallDecision, CallStatus)


def current_trace_id() -> str | None:
    """The trace this record belongs to, for the operator's lookup: FastStream's consumer span
    continues the producer's `traceparent`, so its trace id is the call's."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


async def _for_call(apply: Callable[[E], Awaitable[None]], event: E) -> None:
    token = current_call_id.set(event.call_id)
    try:
        await apply(event)
    finally:
        current_call_id.reset(token)


def register_subscribers(
    broker: KafkaBroker,
    store: RecordStore,
    charger: Charger,
    group_id: str,
    after_write: Callable[[str, CallDecision | None], Awaitable[None]],
) -> None:
    async def on_inbound(call: InboundCall) -> None:
        await store.apply_inbound(call)
        await after_write(call.call_id, None)

    async def on_decision(decision: CallDecision) -> None:
        await store.apply_decision(decision, current_trace_id())
        await charger.settle(decision.call_id)
        if decision.instruction.kind == "subscription":  # no extra read for other calls
            await after_write(decision.call_id, decision)

    async def on_status(status: CallStatus) -> None:
        await store.apply_status(status)
        await charger.settle(status.call_id)
        await after_write(status.call_id, None)

    for topic, decode, apply in (
        (CALLS_INBOUND.name, InboundCall.model_validate_json, on_inbound),
        (CALLS_DECISIONS.name, CallDecision.model_validate_json, on_decision),
        (CALLS_STATUS.name, CallStatus.model_validate_json, on_status),
    ):
        consume(
            broker,
            topic,
            group_id=group_id,
            service=SERVICE_NAME,
            decode=decode,
            handle=partial(_for_call, apply),  # type: ignore[arg-type]
        )
