"""Local views of compacted topics: replay from the beginning on start, then follow.

A service that needs another service's state (accounts, voice actions, routes, masking configs)
keeps it in memory from that service's compacted topic instead of reading its collections. The
view reports `caught_up` once it has applied everything up to the end offsets seen at start, and
only while it is still following: a view whose task died is stale, so `/readyz` goes red with it
(and `/livez` too, through the supervisor). A record that cannot be applied is skipped and counted
(`callplane_view_records_skipped_total`); the view keeps following.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from callplane_shared.metrics import VIEW_RECORDS_SKIPPED
from callplane_shared.supervision import Supervisor
from callplane_shared.tracing import consumer_span, has_trace_context

logger = logging.getLogger(__name__)

Apply = Callable[[bytes, bytes | None], None]
"""Called with (key, value) for every record in offset order; value None is a tombstone."""


class CompactedTopicView:
    def __init__(
        self,
        client: Mapping[str, Any],
        topic: str,
        apply: Apply,
        *,
        supervisor: Supervisor,
        on_error: Callable[[ConsumerRecord[bytes, bytes], Exception], None] | None = None,
        max_batch: int = 5000,
    ) -> None:
        self._client = dict(client)
        self._supervisor = supervisor
        self.task_name = f"view:{topic}"
        self._topic = topic
        self._apply = apply
        self._on_error = on_error
        self._max_batch = max_batch
        self._consumer: AIOKafkaConsumer | None = None
        self._targets: dict[TopicPartition, int] = {}
        self._caught_up = asyncio.Event()
        self.applied = 0
        self.skipped = 0

    @property
    def caught_up(self) -> bool:
        return self._caught_up.is_set() and self._supervisor.running(self.task_name)

    async def wait_caught_up(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up.wait(), timeout)
        return self.caught_up

    async def start(self) -> None:
        # No consumer group: every instance reads the whole topic, and nothing is committed.
        consumer = AIOKafkaConsumer(
            **self._client,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        partitions = consumer.partitions_for_topic(self._topic)
        if not partitions:
            # Without a subscription the client has not fetched this topic's metadata yet, so
            # ask the cluster (aiokafka offers no public call that refreshes it).
            cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001
            partitions = cluster.partitions_for_topic(self._topic)
        if not partitions:
            await consumer.stop()
            raise RuntimeError(f"topic {self._topic} does not exist; run the topic set-up first")
        assigned = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        self._targets = {tp: off for tp, off in ends.items() if off > 0}
        self._consumer = consumer
        self._check_caught_up()
        self._supervisor.start(self.task_name, self._follow)

    async def stop(self) -> None:
        await self._supervisor.stop(self.task_name)
        if self._consumer is not None:
            await self._consumer.stop()

    def _check_caught_up(self) -> None:
        if not self._caught_up.is_set() and not self._targets:
            self._caught_up.set()

    async def _follow(self) -> None:
        assert self._consumer is not None  # noqa: S101 - set by start()
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=self._max_batch)
            for records in batches.values():
                for record in records:
                    self._apply_one(record)
            if self._targets:
                # Positions, not last offsets: compaction and control records leave gaps.
                for tp, target in list(self._targets.items()):
                    if await self._consumer.position(tp) >= target:
                        del self._targets[tp]
                self._check_caught_up()

    def _apply_one(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            if self._caught_up.is_set() and has_trace_context(record.headers):
                # Live changes only: replaying a million records at start must stay span-free.
                with consumer_span(
                    self._topic,
                    record.headers,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                ):
                    self._apply(record.key or b"", record.value)
            else:
                self._apply(record.key or b"", record.value)
            self.applied += 1
        except Exception as exc:  # noqa: BLE001 - skipped and counted, never fatal to the view
            # A bad record must not stop the view; the owner decides (e.g. DLQ it).
            self.skipped += 1
            VIEW_RECORDS_SKIPPED.labels(self._supervisor.service, self._topic).inc()
            if self._on_error is None:
                logger.warning(
                    "skipping bad record %s@%s/%s: %s: %s",
                    self._topic,
                    record.partition,
                    record.offset,
                    type(exc).__name__,
                    str(exc)[:300],
                )
            else:
                self._on_error(record, exc)
