"""How every Kafka handler of ours treats a record: decode it ourselves (pydantic, not a
content-type guess), retry what fails for a transient reason, dead-letter what cannot be decoded
or handled (invariant 6), and move on.

An offset is committed only once the handler's own outputs are acknowledged: an infrastructure
error (a publish or a dead-letter Kafka did not acknowledge while a broker fails over, MongoDB
unreachable while its primary steps down) is raised, never dead-lettered, so the record is read
again instead of being committed past.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from callplane_shared.dlq import dead_letter
from callplane_shared.retrying import retry

T = TypeVar("T")
RETRIES = 3
# Failures of what a handler writes to, not of the record: retried until they pass.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (KafkaError, ConnectionFailure)
BATCH_MAX_RECORDS = 500
# Batch consumers write in bulk and nobody waits on them record by record: the broker holds each
# fetch until this much has arrived or this long has passed, so a trickle of records becomes a
# few batches a second (one fetch, one bulk write, one commit each) rather than one per record.
BATCH_FETCH_MIN_BYTES = 64 * 1024
BATCH_FETCH_MAX_WAIT_MS = 100


@dataclass(frozen=True, slots=True)
class Delivered(Generic[T]):
    """One decoded record of a batch, next to its raw record (aiokafka's ConsumerRecord) for
    what the event itself does not carry, such as its `traceparent` header."""

    event: T
    record: Any

    def header(self, name: str) -> str | None:
        for key, value in self.record.headers or ():
            if key == name:
                return bytes(value).decode(errors="replace")
        return None


async def raw_body(message: StreamMessage[Any]) -> bytes:
    return message.body


def consume(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    service: str,
    decode: Callable[[bytes], T],
    handle: Callable[[T], Awaitable[object]],
) -> None:
    """The one way a service consumes a topic through FastStream: in consumer group `group_id`,
    from the earliest record, each record decoded by `decode` (pydantic) and handed to `handle`,
    the offset committed only after the handler returned. What cannot be decoded, or still fails
    after the retries, is dead-lettered with the reason (`decode_and_handle`); a handler that
    raises (an output Kafka or MongoDB did not acknowledge) leaves its record uncommitted and
    reads it again (nack)."""

    async def on_record(body: bytes, msg: KafkaMessage) -> None:  # noqa: ARG001 - see below
        # The raw record, not the body FastStream decoded: the DLQ needs its key, partition and
        # offset, and decoding is ours (pydantic), not a content-type guess.
        await decode_and_handle(
            broker, msg.raw_message, topic=topic, service=service, decode=decode, handle=handle
        )

    on_record.__name__ = f"on_{topic.replace('.', '_')}"
    broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_body,
    )(on_record)


def consume_batches(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    service: str,
    decode: Callable[[bytes], T],
    handle: Callable[[Sequence[Delivered[T]]], Awaitable[object]],
    max_records: int = BATCH_MAX_RECORDS,
) -> None:
    """`consume` for a handler that writes a whole batch at once (one bulk write instead of a
    round trip per record): up to `max_records` records as they arrive, the batch's offsets
    committed only after `handle` returned. The same guarantees per record: what cannot be
    decoded is dead-lettered alone; a batch that fails for a reason of its records is handled
    again record by record, so only the records that still fail are dead-lettered; an
    infrastructure error rewinds every partition of the batch (nack) to read it again."""

    async def on_batch(body: list[bytes], msg: KafkaMessage) -> None:  # noqa: ARG001 - see consume
        await decode_and_handle_batch(
            broker, msg.raw_message, topic=topic, service=service, decode=decode, handle=handle
        )

    on_batch.__name__ = f"on_{topic.replace('.', '_')}_batch"
    broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_body,
        batch=True,
        max_records=max_records,
        fetch_min_bytes=BATCH_FETCH_MIN_BYTES,
        fetch_max_wait_ms=BATCH_FETCH_MAX_WAIT_MS,
    )(on_batch)


async def with_retries(
    work: Callable[[], Awaitable[object]], retries: int = RETRIES
) -> Exception | None:
    """Transient failures (MongoDB failover, broker hiccup) get a few retries with exponential
    backoff and jitter (stamina, which logs each retry); the last error is returned for the
    caller to dead-letter."""
    try:
        await retry(work, attempts=retries, wait_initial=0.2, wait_max=2.0)
    except Exception as exc:  # noqa: BLE001 - reported to the DLQ by the caller
        return exc
    return None


async def dead_letter_record(
    broker: KafkaBroker, record: Any, *, topic: str, service: str, reason: str
) -> None:
    await dead_letter(
        broker,
        topic=topic,
        key=record.key,
        value=record.value,
        reason=reason,
        service=service,
        partition=record.partition,
        offset=record.offset,
    )


async def decode_and_handle(
    broker: KafkaBroker,
    record: Any,
    *,
    topic: str,
    service: str,
    decode: Callable[[bytes], T],
    handle: Callable[[T], Awaitable[object]],
) -> None:
    """Decode `record` (aiokafka's ConsumerRecord) and hand it to `handle`; whatever cannot be
    decoded, or still fails after the retries, goes to `<topic>.dlq` with the reason."""
    try:
        event = decode(record.value or b"")
    except ValidationError as exc:
        reason = f"undecodable record: {exc.errors()[:3]}"
        await dead_letter_record(broker, record, topic=topic, service=service, reason=reason)
        return
    error = await with_retries(lambda: handle(event))
    if isinstance(error, INFRASTRUCTURE_ERRORS):
        # Nothing is wrong with the record: our output was not acknowledged. Handlers are
        # idempotent, so reading the record again is safe; dead-lettering it would lose it.
        raise error
    if error is not None:
        reason = f"not handled: {type(error).__name__}: {error}"
        await dead_letter_record(broker, record, topic=topic, service=service, reason=reason)


async def decode_and_handle_batch(
    broker: KafkaBroker,
    records: Sequence[Any],
    *,
    topic: str,
    service: str,
    decode: Callable[[bytes], T],
    handle: Callable[[Sequence[Delivered[T]]], Awaitable[object]],
) -> None:
    """`decode_and_handle` for a batch of aiokafka ConsumerRecords (see `consume_batches`)."""
    batch: list[Delivered[T]] = []
    for record in records:
        try:
            batch.append(Delivered(decode(record.value or b""), record))
        except ValidationError as exc:
            reason = f"undecodable record: {exc.errors()[:3]}"
            await dead_letter_record(broker, record, topic=topic, service=service, reason=reason)
    if not batch:
        return
    error = await with_retries(partial(handle, batch))
    if error is None:
        return
    if isinstance(error, INFRASTRUCTURE_ERRORS):
        raise error
    # One bad record must not dead-letter its neighbours: find it by handling each alone.
    for delivered in batch:
        error = await with_retries(partial(handle, [delivered]))
        if isinstance(error, INFRASTRUCTURE_ERRORS):
            raise error
        if error is not None:
            reason = f"not handled: {type(error).__name__}: {error}"
            await dead_letter_record(
                broker, delivered.record, topic=topic, service=service, reason=reason
            )
