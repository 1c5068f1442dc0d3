"""A Kafka consumer that handles records concurrently and still commits at-least-once.

FastStream's concurrent subscribers either commit before handling (at-most-once) or run one
record per partition at a time (a slow customer's call would hold up every call behind it on the
partition). Here each record gets its own task, bounded by `max_in_flight`; the committed offset
of a partition is its lowest record still in flight, so a crash re-delivers only unfinished
records (which the handler's idempotency absorbs).

Offsets are committed at most every `commit_interval` seconds (and always on revoke and stop):
committing after every fetch meant a coordinator round trip per handful of records under load,
the pattern that timed out call-dispatch's group session until its commits were paced the same
way. A crash re-delivers at most that much more, and the handler decides those rounds again
idempotently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition

from callplane_shared.consumer_lag import LagGauge
from callplane_shared.consuming import INFRASTRUCTURE_ERRORS
from callplane_shared.supervision import Supervisor
from number_masking import SERVICE_NAME

logger = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
Handler = Callable[[Record], Awaitable[None]]
LAG_EVERY_SECONDS = 1.0
RETRY_SECONDS = 0.5
COMMIT_INTERVAL_SECONDS = 0.1


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: ConcurrentConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._owner.drain(set(revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        logger.info("assigned %d partition(s)", len(assigned))


class ConcurrentConsumer:
    def __init__(
        self,
        client: Mapping[str, Any],
        topic: str,
        group_id: str,
        handler: Handler,
        *,
        max_in_flight: int,
        drain_timeout: float,
        supervisor: Supervisor,
        commit_interval: float = COMMIT_INTERVAL_SECONDS,
    ) -> None:
        self._supervisor = supervisor
        self._commit_interval = commit_interval
        self._commit_due = 0.0
        self._task_name = f"consume:{topic}"
        self._client = dict(client)
        self._topic = topic
        self._group = group_id
        self._handler = handler
        self._slots = asyncio.Semaphore(max_in_flight)
        self._drain_timeout = drain_timeout
        self._in_flight: defaultdict[TopicPartition, dict[int, asyncio.Task[None]]] = defaultdict(
            dict
        )
        self._next: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._lag = LagGauge(group_id, SERVICE_NAME)
        self._lag_due = 0.0

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            **self._client,
            group_id=self._group,
            client_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._consumer.subscribe([self._topic], listener=_Rebalance(self))
        await self._consumer.start()
        self._supervisor.start(self._task_name, self._run)

    async def stop(self) -> None:
        await self._supervisor.stop(self._task_name)
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self.drain(set(self._next))
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None  # noqa: S101 - set by start()
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=200, max_records=200)
                for tp, records in batches.items():
                    for record in records:
                        await self._slots.acquire()
                        self._next[tp] = record.offset + 1
                        task = asyncio.create_task(self._one(tp, record))
                        self._in_flight[tp][record.offset] = task
                if time.monotonic() >= self._commit_due:
                    self._commit_due = time.monotonic() + self._commit_interval
                    await self._commit()
                if time.monotonic() >= self._lag_due:
                    self._lag_due = time.monotonic() + LAG_EVERY_SECONDS
                    await self._lag.update(self._consumer)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("consumer loop of %s failed; continuing", self._topic)
                await asyncio.sleep(1)

    async def _one(self, tp: TopicPartition, record: Record) -> None:
        try:
            await self._handle_until_acknowledged(record)
        except Exception:
            # The handler dead-letters what it cannot handle; reaching here is a bug, and the
            # record is committed past rather than blocking its partition forever.
            logger.exception("unhandled error for %s@%s", tp, record.offset)
        finally:
            self._in_flight[tp].pop(record.offset, None)
            self._slots.release()

    async def _handle_until_acknowledged(self, record: Record) -> None:
        """An infrastructure error means an output of ours (a stored or published decision, a
        dead letter) was not acknowledged: the record stays in flight, so its offset is not
        committed, and is handled again (the handler is idempotent per callback round)."""
        while True:
            try:
                await self._handler(record)
            except INFRASTRUCTURE_ERRORS as exc:
                logger.warning(
                    "output of %s@%s not acknowledged (%s); retrying",
                    record.topic,
                    record.offset,
                    exc,
                )
                await asyncio.sleep(RETRY_SECONDS)
            else:
                return

    def _safe_offsets(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
        offsets = {}
        for tp in partitions:
            if tp not in self._next:
                continue
            pending = self._in_flight.get(tp)
            offsets[tp] = min(pending) if pending else self._next[tp]
        return offsets

    async def _commit(self, partitions: set[TopicPartition] | None = None) -> None:
        assert self._consumer is not None  # noqa: S101
        wanted = self._safe_offsets(partitions if partitions is not None else set(self._next))
        changed = {tp: o for tp, o in wanted.items() if self._committed.get(tp) != o}
        if changed:
            await self._consumer.commit(changed)
            self._committed.update(changed)

    async def drain(self, partitions: set[TopicPartition]) -> None:
        """Let in-flight records of these partitions finish (bounded), commit, forget them."""
        tasks = [t for tp in partitions for t in self._in_flight.get(tp, {}).values()]
        if tasks:
            await asyncio.wait(tasks, timeout=self._drain_timeout)
        try:
            await self._commit(partitions)
        except Exception:
            logger.exception("commit on revoke failed; those records will be re-delivered")
        for tp in partitions:
            self._next.pop(tp, None)
            self._committed.pop(tp, None)
