"""Thin Kafka handlers: decode, call the service layer, dead-letter what cannot be handled.

Wiring at a glance:
  numbers.lifecycle (group action-config) → NumberLifecycle → action_numbers, voice.actions
  accounts          (compacted view)      → AccountDirectory (auth)
  masking.configs   (compacted view)      → MaskingConfigs (masking key validation)
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import TypeAdapter

from action_config import SERVICE_NAME
from action_config.number_lifecycle import NumberLifecycle
from callplane_shared.consuming import decode_and_handle, subscribe
from callplane_shared.events import NumberLeased, NumberLifecycleEvent, NumberReleased
from callplane_shared.topics import NUMBERS_LIFECYCLE

_LIFECYCLE: TypeAdapter[NumberLeased | NumberReleased] = TypeAdapter(NumberLifecycleEvent)


async def apply_lifecycle(lifecycle: NumberLifecycle, event: NumberLeased | NumberReleased) -> None:
    if isinstance(event, NumberLeased):
        await lifecycle.on_leased(event)
    else:
        await lifecycle.on_released(event)


def register_subscribers(broker: KafkaBroker, lifecycle: NumberLifecycle) -> None:
    @subscribe(broker, NUMBERS_LIFECYCLE.name, SERVICE_NAME)
    async def on_number_lifecycle(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001
        async def apply(event: NumberLeased | NumberReleased) -> None:
            await apply_lifecycle(lifecycle, event)

        await decode_and_handle(
            broker,
            msg.raw_message,
            topic=NUMBERS_LIFECYCLE.name,
            service=SERVICE_NAME,
            decode=_LIFECYCLE.validate_json,
            handle=apply,
        )
