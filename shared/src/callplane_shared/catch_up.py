"""Read-your-writes across services: wait, bounded, until a consumer group has handled everything
a topic held when we asked.

A service that learns of a write from another service's event (action-config learns of a lease
from `numbers.lifecycle`) can miss a key that the caller has just been told exists. Before
answering 404 it asks: "has my group handled the key's partition up to its end offset?" If not, it
waits until it has (or the bound passes), then looks again. The end offset is read at the time of
the miss, so a write acknowledged before the request is always covered: its event was published
before the acknowledgement.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner


class GroupCatchUp:
    def __init__(
        self,
        client: Mapping[str, Any],
        topic: str,
        group_id: str,
        *,
        poll_seconds: float = 0.01,
    ) -> None:
        self._client = dict(client)
        self._topic = topic
        self._group_id = group_id
        self._poll_seconds = poll_seconds
        self._partitions: list[TopicPartition] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        # The producers' default partitioner, so a key's partition is found as they found it.
        self._partitioner = DefaultPartitioner()

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(**self._client, group_id=None, enable_auto_commit=False)
        await consumer.start()
        admin = AIOKafkaAdminClient(**self._client)
        await admin.start()
        cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - see views.py
        numbers = sorted(cluster.partitions_for_topic(self._topic) or ())
        self._partitions = [TopicPartition(self._topic, p) for p in numbers]
        self._consumer, self._admin = consumer, admin

    async def stop(self) -> None:
        if self._admin is not None:
            await self._admin.close()
        if self._consumer is not None:
            await self._consumer.stop()

    def _partitions_of(self, key: bytes | None) -> list[TopicPartition]:
        if key is None or not self._partitions:
            return self._partitions
        ids = [tp.partition for tp in self._partitions]
        chosen = self._partitioner(key, ids, ids)
        return [tp for tp in self._partitions if tp.partition == chosen]

    async def wait(self, key: bytes | None, timeout: float) -> bool:
        """True once the group has committed past the end offsets of `key`'s partition (all
        partitions without a key) as they are now; False when `timeout` passes first."""
        if self._consumer is None or self._admin is None:
            return False
        partitions = self._partitions_of(key)
        ends = await self._consumer.end_offsets(partitions)
        pending = {tp: end for tp, end in ends.items() if end > 0}
        deadline = time.monotonic() + timeout
        while pending:
            committed = await self._admin.list_consumer_group_offsets(
                self._group_id, partitions=list(pending)
            )
            for tp, meta in committed.items():
                if meta is not None and meta.offset >= pending.get(tp, 0):
                    pending.pop(tp, None)
            if not pending:
                break
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(self._poll_seconds)
        return True
