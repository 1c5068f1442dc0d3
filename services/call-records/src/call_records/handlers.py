"""Thin Kafka handlers: decode, apply to the record, rate what finished.

Wiring at a glance (one consumer group, `call-records`):
  calls.inbound   → RecordStore.apply_inbound
  calls.decisions → RecordStore.apply_decision → Charger.settle → calls.charges
  calls.status    → RecordStore.apply_status   → Charger.settle → calls.charges
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace

from call_records import SERVICE_NAME
from call_records.charging import Charger
from call_records.records import RecordStore
from callplane_shared.consuming import decode_and_handle, subscribe
from callplane_shared.events import CallDecision, CallStatus, InboundCall
from callplane_shared.logs import current_call_id
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS
from callplane_shared.tracing import context_from_headers

E = TypeVar("E", InboundCall, CallDecision, CallStatus)


def trace_id_of(headers: Any) -> str | None:
    """The trace id the producer sent along (W3C traceparent), for the operator's lookup."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
    encoded = [(k, v if isinstance(v, bytes) else str(v).encode()) for k, v in items]
    span_context = trace.get_current_span(context_from_headers(encoded)).get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def register_subscribers(broker: KafkaBroker, store: RecordStore, charger: Charger) -> None:
    async def consume(
        msg: KafkaMessage,
        topic: str,
        decode: Callable[[bytes], E],
        apply: Callable[[E], Awaitable[None]],
    ) -> None:
        async def handle(event: E) -> None:
            token = current_call_id.set(event.call_id)
            try:
                await apply(event)
            finally:
                current_call_id.reset(token)

        await decode_and_handle(
            broker, msg.raw_message, topic=topic, service=SERVICE_NAME, decode=decode, handle=handle
        )

    @subscribe(broker, CALLS_INBOUND.name, SERVICE_NAME)
    async def on_inbound(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001
        await consume(msg, CALLS_INBOUND.name, InboundCall.model_validate_json, store.apply_inbound)

    @subscribe(broker, CALLS_DECISIONS.name, SERVICE_NAME)
    async def on_decision(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001
        trace_id = trace_id_of(getattr(msg.raw_message, "headers", None))

        async def apply(decision: CallDecision) -> None:
            await store.apply_decision(decision, trace_id)
            await charger.settle(decision.call_id)

        await consume(msg, CALLS_DECISIONS.name, CallDecision.model_validate_json, apply)

    @subscribe(broker, CALLS_STATUS.name, SERVICE_NAME)
    async def on_status(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001
        async def apply(status: CallStatus) -> None:
            await store.apply_status(status)
            await charger.settle(status.call_id)

        await consume(msg, CALLS_STATUS.name, CallStatus.model_validate_json, apply)
