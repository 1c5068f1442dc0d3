"""Local views of compacted topics: replay from the beginning on start, then follow.

A service that needs another service's state (accounts, voice actions, routes, masking configs)
keeps it in memory from that service's compacted topic instead of reading its collections. The
view reports `caught_up` once it has applied everything up to the end offsets seen at start, and
only while it is still following: a view whose task died is stale, so `/readyz` goes red with it
(and `/livez` too, through the supervisor). A record that cannot be applied is skipped and counted
(`callplane_view_records_skipped_total`); the view keeps following.

The reader is librdkafka (confluent-kafka), like call-dispatch's hot path: it fetches and parses
records in its own threads while the event loop applies the previous batch, so call-dispatch's
million-number replay spends its one core on applying, not on the Kafka client (`make bench`'s
rebuild row). Records are applied on the event loop only, in offset order per partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from callplane_shared.librdkafka import read_batch
from callplane_shared.metrics import VIEW_RECORDS_SKIPPED
from callplane_shared.supervision import Supervisor
from callplane_shared.tracing import consumer_span, has_trace_context

logger = logging.getLogger(__name__)

Apply = Callable[[bytes, bytes | None], None]
"""Called with (key, value) for every record in offset order; value None is a tombstone."""

END_OFFSETS_SECONDS = 60.0
"""How long start-up keeps asking for a partition's end offset while the broker says retry."""
POLL_SECONDS = 0.5
"""How long one read waits for a first record; also the most a stop waits for the reader."""

READER_OPTIONS: dict[str, Any] = {
    # Nothing is committed and no group is joined: every instance reads the whole topic. The
    # group id only satisfies the client (it is the service's own, which its ACL allows).
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "enable.partition.eof": True,  # tells when a partition's end is reached, gaps or not
    # Prefetch at most 16 MiB per view, and fetch again 10 ms after the application took some
    # (librdkafka's default back-off, 1 s, made a million-record replay wait on it).
    "queued.max.messages.kbytes": 16 * 1024,
    "fetch.queue.backoff.ms": 10,
}


class CompactedTopicView:
    def __init__(
        self,
        client: Mapping[str, Any],
        topic: str,
        apply: Apply,
        *,
        supervisor: Supervisor,
        max_batch: int = 5000,
    ) -> None:
        """`client`: librdkafka connection options (`librdkafka.librdkafka_options`)."""
        self._client = {**client, **READER_OPTIONS, "group.id": supervisor.service}
        self._supervisor = supervisor
        self.task_name = f"view:{topic}"
        self._topic = topic
        self._apply = apply
        self._max_batch = max_batch
        self._consumer: Consumer | None = None
        # One thread reads (blocking librdkafka calls); the loop applies.
        self._reader = ThreadPoolExecutor(1, thread_name_prefix=f"view-{topic}")
        self._targets: dict[int, int] = {}
        """partition -> end offset seen at start, for the partitions not yet read that far."""
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
        loop = asyncio.get_running_loop()
        consumer = Consumer(self._client)
        try:
            ends = await loop.run_in_executor(self._reader, self._end_offsets, consumer)
        except Exception:
            await loop.run_in_executor(self._reader, consumer.close)
            raise
        consumer.assign([TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in ends])
        self._targets = {p: end for p, end in ends.items() if end > 0}
        self._consumer = consumer
        self._check_caught_up()
        self._supervisor.start(self.task_name, self._follow)

    def _end_offsets(self, consumer: Consumer) -> dict[int, int]:
        metadata = consumer.list_topics(self._topic, timeout=10).topics.get(self._topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            raise RuntimeError(f"topic {self._topic} does not exist; run the topic set-up first")
        ends = {}
        deadline = time.monotonic() + END_OFFSETS_SECONDS
        for p in sorted(metadata.partitions):
            while True:
                try:
                    ends[p] = consumer.get_watermark_offsets(
                        TopicPartition(self._topic, p), timeout=10
                    )[1]
                    break
                except KafkaException as exc:
                    # A new topic's leaders, or a broker just restarted: asked again shortly.
                    if not exc.args[0].retriable() or time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        return ends

    async def stop(self) -> None:
        await self._supervisor.stop(self.task_name)
        loop = asyncio.get_running_loop()
        if self._consumer is not None:
            # After the read in progress returns (at most POLL_SECONDS), on the reader's thread.
            await loop.run_in_executor(self._reader, self._consumer.close)
            self._consumer = None
        self._reader.shutdown(wait=False)

    def _check_caught_up(self) -> None:
        if not self._caught_up.is_set() and not self._targets:
            self._caught_up.set()

    def _reached(self, partition: int, position: int) -> None:
        target = self._targets.get(partition)
        if target is not None and position >= target:
            del self._targets[partition]

    def _read(self) -> list[Message]:
        assert self._consumer is not None  # noqa: S101 - set by start()
        return read_batch(self._consumer, self._max_batch, POLL_SECONDS)

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            for message in await loop.run_in_executor(self._reader, self._read):
                error = message.error()
                if error is None:
                    self._apply_one(message)
                    self._reached(message.partition() or 0, (message.offset() or 0) + 1)
                elif error.code() == KafkaError._PARTITION_EOF:  # noqa: SLF001 - its name
                    # The end, whatever gaps compaction left before it.
                    self._reached(message.partition() or 0, message.offset() or 0)
                else:
                    # Broker and connection errors: librdkafka retries by itself.
                    logger.warning("reading %s: %s", self._topic, error)
            self._check_caught_up()

    def _apply_one(self, message: Message) -> None:
        key, value = message.key() or b"", message.value()
        try:
            # Headers are read for live changes only: a replay of a million records skips them.
            headers = message.headers() if self._caught_up.is_set() else None
            if headers and has_trace_context(headers):  # type: ignore[arg-type]
                # Live changes only: replaying a million records at start must stay span-free.
                with consumer_span(
                    self._topic,
                    headers,  # type: ignore[arg-type]  # bytes values: no deserializer is set
                    partition=message.partition() or 0,
                    offset=message.offset() or 0,
                    key=key,
                ):
                    self._apply(key, value)
            else:
                self._apply(key, value)
            self.applied += 1
        except Exception as exc:  # noqa: BLE001 - skipped and counted, never fatal to the view
            self.skipped += 1
            VIEW_RECORDS_SKIPPED.labels(self._supervisor.service, self._topic).inc()
            logger.warning(
                "skipping bad record %s@%s/%s: %s: %s",
                self._topic,
                message.partition(),
                message.offset(),
                type(exc).__name__,
                str(exc)[:300],
            )
