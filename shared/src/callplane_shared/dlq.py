"""Dead-letter publishing: a record that cannot be decoded or handled goes to `<topic>.dlq` with
the reason in headers, and the consumer moves on (invariant 6)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from callplane_shared.metrics import DLQ_RECORDS

if TYPE_CHECKING:  # FastStream is not imported by call-dispatch, which has no broker
    from faststream.kafka import KafkaBroker

logger = logging.getLogger(__name__)

REASON = "x-dlq-reason"
ORIGINAL_TOPIC = "x-dlq-original-topic"
ORIGINAL_PARTITION = "x-dlq-original-partition"
ORIGINAL_OFFSET = "x-dlq-original-offset"
FAILED_BY = "x-dlq-failed-by"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


async def dead_letter(
    broker: KafkaBroker,
    *,
    topic: str,
    key: bytes | None,
    value: bytes | None,
    reason: str,
    service: str,
    partition: int | None = None,
    offset: int | None = None,
) -> None:
    headers = {
        REASON: reason[:1000],
        ORIGINAL_TOPIC: topic,
        FAILED_BY: service,
        ORIGINAL_PARTITION: "" if partition is None else str(partition),
        ORIGINAL_OFFSET: "" if offset is None else str(offset),
    }
    DLQ_RECORDS.labels(service, topic).inc()
    logger.warning("dead-lettering %s@%s/%s: %s", topic, partition, offset, reason)
    await broker.publish(value or b"", topic=dlq_topic(topic), key=key, headers=headers)
