"""Thin Kafka handlers: decode, call the service layer, dead-letter what cannot be handled.

Wiring at a glance:
  masking.requests  → Resolver.handle           → calls.decisions (via the decisions outbox)
  calls.status      → reports.record_status     → pending report, delivered by StatusDelivery
  numbers.lifecycle → Store.apply_number        → the leased-number view for callerId checks
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from opentelemetry import propagate, trace
from pydantic import TypeAdapter, ValidationError

from callplane_shared.dlq import dead_letter
from callplane_shared.events import (
    CallStatus,
    MaskingRequest,
    NumberLeased,
    NumberLifecycleEvent,
    NumberReleased,
)
from callplane_shared.logs import current_call_id
from callplane_shared.telemetry import Attr
from callplane_shared.topics import CALLS_STATUS, MASKING_REQUESTS, NUMBERS_LIFECYCLE
from number_masking import SERVICE_NAME
from number_masking.consumer import Record
from number_masking.reports import record_status
from number_masking.resolver import Resolver
from number_masking.store import Store

logger = logging.getLogger(__name__)
_LIFECYCLE: TypeAdapter[NumberLeased | NumberReleased] = TypeAdapter(NumberLifecycleEvent)
RETRIES = 3


async def _with_retries(work: Callable[[], Awaitable[object]]) -> Exception | None:
    """Transient failures (MongoDB failover, broker hiccup) get a few quick retries."""
    error: Exception | None = None
    for attempt in range(RETRIES):
        try:
            await work()
        except Exception as exc:  # noqa: BLE001 - reported to the DLQ by the caller
            error = exc
            logger.warning("attempt %d failed: %s", attempt + 1, exc)
            await asyncio.sleep(0.2 * 2**attempt)
        else:
            return None
    return error


def masking_request_handler(
    broker: KafkaBroker, resolver: Resolver
) -> Callable[[Record], Awaitable[None]]:
    tracer = trace.get_tracer(SERVICE_NAME)

    async def handle(record: Record) -> None:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        with tracer.start_as_current_span(
            f"{MASKING_REQUESTS.name} process",
            context=propagate.extract(headers),
            kind=trace.SpanKind.CONSUMER,
        ) as span:
            try:
                request = MaskingRequest.model_validate_json(record.value or b"")
            except ValidationError as exc:
                reason = f"undecodable MaskingRequest: {exc.errors()[:3]}"
                await _dead_letter(broker, MASKING_REQUESTS.name, record, reason)
                return
            current_call_id.set(request.call_id)
            span.set_attribute(Attr.CALL_ID, request.call_id)
            span.set_attribute(Attr.NUMBER, request.number)
            span.set_attribute(Attr.MASKING_CONFIG_KEY, request.config_key)
            error = await _with_retries(lambda: resolver.handle(request))
            if error is not None:
                reason = f"could not decide: {type(error).__name__}: {error}"
                await _dead_letter(broker, MASKING_REQUESTS.name, record, reason)

    return handle


async def _dead_letter(broker: KafkaBroker, topic: str, record: Record, reason: str) -> None:
    await dead_letter(
        broker,
        topic=topic,
        key=record.key,
        value=record.value,
        reason=reason,
        service=SERVICE_NAME,
        partition=record.partition,
        offset=record.offset,
    )


async def _raw(message: StreamMessage[Record]) -> bytes:
    # Decoding is ours (pydantic, with a DLQ on failure), not FastStream's content-type guess.
    return message.body


def register_subscribers(broker: KafkaBroker, store: Store) -> None:
    @broker.subscriber(
        CALLS_STATUS.name,
        group_id=SERVICE_NAME,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=_raw,
    )
    async def on_call_status(body: bytes, msg: KafkaMessage) -> None:
        record: Record = msg.raw_message
        try:
            status = CallStatus.model_validate_json(body)
        except ValidationError as exc:
            reason = f"undecodable CallStatus: {exc.errors()[:3]}"
            await _dead_letter(broker, CALLS_STATUS.name, record, reason)
            return
        # Reset afterwards: this subscriber may handle the next message in the same context.
        token = current_call_id.set(status.call_id)
        try:
            error = await _with_retries(lambda: record_status(store, status))
            if error is not None:
                await _dead_letter(broker, CALLS_STATUS.name, record, f"not recorded: {error}")
        finally:
            current_call_id.reset(token)

    @broker.subscriber(
        NUMBERS_LIFECYCLE.name,
        group_id=SERVICE_NAME,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=_raw,
    )
    async def on_number(body: bytes, msg: KafkaMessage) -> None:
        record: Record = msg.raw_message
        try:
            event = _LIFECYCLE.validate_json(body)
        except ValidationError as exc:
            reason = f"undecodable number lifecycle event: {exc.errors()[:3]}"
            await _dead_letter(broker, NUMBERS_LIFECYCLE.name, record, reason)
            return
        leased = isinstance(event, NumberLeased)
        error = await _with_retries(
            lambda: store.apply_number(event.number, event.account_id, leased, event.occurred_at)
        )
        if error is not None:
            await _dead_letter(broker, NUMBERS_LIFECYCLE.name, record, f"not applied: {error}")
