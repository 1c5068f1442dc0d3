"""Thin Kafka handlers: decode, call the service layer, dead-letter what cannot be handled.

Wiring at a glance:
  masking.requests  → Resolver.handle           → calls.decisions (via the decisions outbox)
  calls.status      → reports.record_status     → pending report, delivered by StatusDelivery
  numbers.lifecycle → Store.apply_number        → the leased-number view for callerId checks
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import propagate, trace
from pydantic import TypeAdapter

from callplane_shared.consuming import decode_and_handle, subscribe
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

            async def decide(request: MaskingRequest) -> None:
                current_call_id.set(request.call_id)
                span.set_attribute(Attr.CALL_ID, request.call_id)
                span.set_attribute(Attr.NUMBER, request.number)
                span.set_attribute(Attr.MASKING_CONFIG_KEY, request.config_key)
                await resolver.handle(request)

            await decode_and_handle(
                broker,
                record,
                topic=MASKING_REQUESTS.name,
                service=SERVICE_NAME,
                decode=MaskingRequest.model_validate_json,
                handle=decide,
            )

    return handle


def register_subscribers(broker: KafkaBroker, store: Store) -> None:
    @subscribe(broker, CALLS_STATUS.name, SERVICE_NAME)
    async def on_call_status(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001
        async def record(status: CallStatus) -> None:
            # Reset afterwards: this subscriber may handle the next message in the same context.
            token = current_call_id.set(status.call_id)
            try:
                await record_status(store, status)
            finally:
                current_call_id.reset(token)

        await decode_and_handle(
            broker,
            msg.raw_message,
            topic=CALLS_STATUS.name,
            service=SERVICE_NAME,
            decode=CallStatus.model_validate_json,
            handle=record,
        )

    @subscribe(broker, NUMBERS_LIFECYCLE.name, SERVICE_NAME)
    async def on_number(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001
        async def apply(event: NumberLeased | NumberReleased) -> None:
            leased = isinstance(event, NumberLeased)
            await store.apply_number(event.number, event.account_id, leased, event.occurred_at)

        await decode_and_handle(
            broker,
            msg.raw_message,
            topic=NUMBERS_LIFECYCLE.name,
            service=SERVICE_NAME,
            decode=_LIFECYCLE.validate_json,
            handle=apply,
        )
