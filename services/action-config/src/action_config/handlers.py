"""Thin Kafka handlers: decode, call the service layer, dead-letter what cannot be handled.

Wiring at a glance:
  numbers.lifecycle (group action-config) → NumberLifecycle → action_numbers, voice.actions
  accounts          (compacted view)      → AccountDirectory (auth)
  masking.configs   (compacted view)      → MaskingConfigs (masking key validation)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeAlias

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import TypeAdapter, ValidationError

from action_config import SERVICE_NAME
from action_config.number_lifecycle import NumberLifecycle
from callplane_shared.dlq import dead_letter
from callplane_shared.events import NumberLeased, NumberLifecycleEvent, NumberReleased
from callplane_shared.topics import NUMBERS_LIFECYCLE

logger = logging.getLogger(__name__)
Record: TypeAlias = Any  # aiokafka's ConsumerRecord; aiokafka ships no type hints
_LIFECYCLE: TypeAdapter[NumberLeased | NumberReleased] = TypeAdapter(NumberLifecycleEvent)
RETRIES = 3


async def _raw(message: StreamMessage[Record]) -> bytes:
    # We decode ourselves (pydantic, DLQ on failure) rather than trust a content-type guess.
    return message.body


async def _dead_letter(broker: KafkaBroker, record: Record, reason: str) -> None:
    await dead_letter(
        broker,
        topic=NUMBERS_LIFECYCLE.name,
        key=record.key,
        value=record.value,
        reason=reason,
        service=SERVICE_NAME,
        partition=record.partition,
        offset=record.offset,
    )


async def apply_lifecycle(lifecycle: NumberLifecycle, event: NumberLeased | NumberReleased) -> None:
    if isinstance(event, NumberLeased):
        await lifecycle.on_leased(event)
    else:
        await lifecycle.on_released(event)


def register_subscribers(broker: KafkaBroker, lifecycle: NumberLifecycle) -> None:
    @broker.subscriber(
        NUMBERS_LIFECYCLE.name,
        group_id=SERVICE_NAME,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        decoder=_raw,
    )
    async def on_number_lifecycle(body: bytes, msg: KafkaMessage) -> None:
        record: Record = msg.raw_message
        try:
            event = _LIFECYCLE.validate_json(body)
        except ValidationError as exc:
            await _dead_letter(broker, record, f"undecodable lifecycle event: {exc.errors()[:3]}")
            return
        for attempt in range(RETRIES):
            try:
                await apply_lifecycle(lifecycle, event)
            except Exception as exc:  # noqa: BLE001 - transient store/broker trouble: retry, then DLQ
                logger.warning("lifecycle attempt %d failed: %s", attempt + 1, exc)
                if attempt == RETRIES - 1:
                    await _dead_letter(broker, record, f"not applied: {exc}")
                    return
                await asyncio.sleep(0.2 * 2**attempt)
            else:
                return
