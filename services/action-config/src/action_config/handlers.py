"""Thin Kafka handlers: decode, call the service layer, dead-letter what cannot be handled.

Wiring at a glance:
  numbers.lifecycle (group action-config) → NumberLifecycle → action_numbers, voice.actions
  accounts          (compacted view)      → AccountDirectory (auth)
  masking.configs   (compacted view)      → MaskingConfigs (masking key validation)
  calls.decisions   (group action-config) → IvrUsage (IVR decisions only) → lastUsageDate
  calls.status      (group action-config) → IvrNotifications (IVR run events only) → notifyUrl

Both call topics are read in batches (one offset commit per up to 500 records): they carry every
call of every account, nearly all of them not IVR, and a commit per record held this consumer
minutes behind a load test, so an IVR decision's `lastUsageDate` waited behind the backlog.
Both handlers are idempotent, so a batch handled again after a failure changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter

from action_config import SERVICE_NAME
from action_config.ivr_notifications import IvrNotifications, decode_ivr_status
from action_config.ivr_usage import IvrUsage, decode_ivr_decision
from action_config.number_lifecycle import NumberLifecycle
from callplane_shared.consuming import Delivered, consume, consume_batches
from callplane_shared.events import (
    AnyNumberLifecycle,
    CallDecision,
    CallStatus,
    NumberLeased,
    NumberLifecycleEvent,
    NumberReleased,
)
from callplane_shared.topics import CALLS_DECISIONS, CALLS_STATUS, NUMBERS_LIFECYCLE

_LIFECYCLE: TypeAdapter[AnyNumberLifecycle] = TypeAdapter(NumberLifecycleEvent)


async def apply_lifecycle(lifecycle: NumberLifecycle, event: AnyNumberLifecycle) -> None:
    # Rental events change nothing here: an unpaid number's action goes when it is released.
    if isinstance(event, NumberLeased):
        await lifecycle.on_leased(event)
    elif isinstance(event, NumberReleased):
        await lifecycle.on_released(event)


async def on_decisions(usage: IvrUsage, batch: Sequence[Delivered[CallDecision | None]]) -> None:
    for delivered in batch:
        await usage.on_decision(delivered.event)


async def on_statuses(
    notifications: IvrNotifications, batch: Sequence[Delivered[CallStatus | None]]
) -> None:
    for delivered in batch:
        await notifications.on_status(delivered.event)


def register_subscribers(
    broker: KafkaBroker,
    lifecycle: NumberLifecycle,
    group_id: str,
    usage: IvrUsage,
    notifications: IvrNotifications,
) -> None:
    consume_batches(
        broker,
        CALLS_DECISIONS.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=decode_ivr_decision,
        handle=partial(on_decisions, usage),
    )
    consume_batches(
        broker,
        CALLS_STATUS.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=decode_ivr_status,
        handle=partial(on_statuses, notifications),
    )
    consume(
        broker,
        NUMBERS_LIFECYCLE.name,
        group_id=group_id,
        service=SERVICE_NAME,
        decode=_LIFECYCLE.validate_json,
        handle=partial(apply_lifecycle, lifecycle),
    )
