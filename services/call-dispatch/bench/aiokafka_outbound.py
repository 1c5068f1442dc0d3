# ruff: noqa: INP001 - imported by the aiokafka relay script beside it
"""(The aiokafka relay of `make bench`; call-dispatch itself publishes through librdkafka now.)

Publishing a consumer batch's worth of records as whole producer batches.

`AIOKafkaProducer.send` costs tens of microseconds per record in Python (partitioning, metadata
checks, a future each); at thousands of calls per second that was the largest single cost on the
hot path. Here records are grouped by (topic, partition) with the Java-compatible murmur2
partitioner, so a key lands where any other producer would put it, appended to `BatchBuilder`s
and handed over with one `send_batch` per partition. The producer's idempotence and `acks=all`
apply to these batches as to any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

Headers = Sequence[tuple[str, bytes]]
_PARTITIONER = DefaultPartitioner()


class Outbound:
    """Knows the partitions of the topics it writes to; builds one batch set per call."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._partitions: dict[str, list[int]] = {}

    async def prepare(self, topics: Iterable[str]) -> None:
        for topic in topics:
            self._partitions[topic] = sorted(await self._producer.partitions_for(topic))

    def batch(self) -> OutboundBatch:
        return OutboundBatch(self._producer, self._partitions)


class OutboundBatch:
    def __init__(self, producer: AIOKafkaProducer, partitions: dict[str, list[int]]) -> None:
        self._producer = producer
        self._partitions = partitions
        self._open: dict[tuple[str, int], Any] = {}
        self._full: list[tuple[str, int, Any]] = []

    def add(self, topic: str, key: bytes, value: bytes, headers: Headers = ()) -> None:
        partitions = self._partitions[topic]
        partition = _PARTITIONER(key, partitions, partitions)
        slot = (topic, partition)
        builder = self._open.get(slot)
        if builder is None:
            builder = self._open[slot] = self._producer.create_batch()
        if builder.append(key=key, value=value, timestamp=None, headers=list(headers)) is None:
            # Full (max_batch_size): queue it and start another for this partition.
            self._full.append((topic, partition, builder))
            builder = self._open[slot] = self._producer.create_batch()
            builder.append(key=key, value=value, timestamp=None, headers=list(headers))

    async def send(self) -> list[asyncio.Future[Any]]:
        """Queue every batch; the returned futures resolve when Kafka acknowledged them."""
        pending = [*self._full, *((t, p, b) for (t, p), b in self._open.items())]
        return [
            await self._producer.send_batch(builder, topic, partition=partition)
            for topic, partition, builder in pending
        ]
