"""Thin Kafka handlers: decode, call the service layer, dead-letter what cannot be handled.

Wiring at a glance:
  masking.requests  → Resolver.handle           → calls.decisions (via the decisions outbox)
  calls.status      → reports.record_status     → pending report, delivered by StatusDelivery
  numbers.lifecycle → Store.apply_number        → the leased-number view for callerId checks
  calls.charges     → report_charges            → price fields of the masked call's report
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter

from callplane_shared.consuming import consume, decode_and_handle
from callplane_shared.events import (
    AnyNumberLifecycle,
    CallCharged,
    CallStatus,
    MaskingRequest,
    NumberLeased,
    NumberLifecycleEvent,
    NumberReleased,
)
from callplane_shared.logs import current_call_id
from callplane_shared.telemetry import Attr
from callplane_shared.topics import (
    CALLS_CHARGES,
    CALLS_STATUS,
    MASKING_REQUESTS,
    NUMBERS_LIFECYCLE,
)
from callplane_shared.tracing import consumer_span
from number_masking import SERVICE_NAME
from number_masking.consumer import Record
from number_masking.report_charges import record_charge
from number_masking.reports import record_status
from number_masking.resolver import Resolver
from number_masking.store import Store

_LIFECYCLE: TypeAdapter[AnyNumberLifecycle] = TypeAdapter(NumberLifecycleEvent)


def masking_request_handler(
    broker: KafkaBroker, resolver: Resolver
) -> Callable[[Record], Awaitable[None]]:
    async def handle(record: Record) -> None:
        with consumer_span(
            MASKING_REQUESTS.name,
            record.headers,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
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


async def _record_status(store: Store, charge_wait: timedelta, status: CallStatus) -> None:
    # Reset afterwards: the subscriber may handle the next message in the same context.
    token = current_call_id.set(status.call_id)
    try:
        await record_status(store, status, charge_wait)
    finally:
        current_call_id.reset(token)


async def _apply_number(store: Store, event: AnyNumberLifecycle) -> None:
    if not isinstance(event, NumberLeased | NumberReleased):
        return  # rental events do not change who holds the number
    leased = isinstance(event, NumberLeased)
    await store.apply_number(event.number, event.account_id, leased, event.occurred_at)


def register_subscribers(
    broker: KafkaBroker, store: Store, group_id: str, charge_wait: timedelta
) -> None:
    consume(
        broker,
        CALLS_STATUS.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=CallStatus.model_validate_json,
        handle=partial(_record_status, store, charge_wait),
    )
    consume(
        broker,
        CALLS_CHARGES.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=CallCharged.model_validate_json,
        handle=partial(record_charge, store),
    )
    consume(
        broker,
        NUMBERS_LIFECYCLE.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=_LIFECYCLE.validate_json,
        handle=partial(_apply_number, store),
    )
