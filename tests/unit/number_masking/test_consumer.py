"""The masking consumer's commit rule: records are handled concurrently, and a partition's
committed offset never passes its oldest record still in flight, so a crash re-delivers exactly
the unfinished ones (and everything after them, which the handler's idempotency absorbs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import pytest
from aiokafka import TopicPartition

from callplane_shared.supervision import Supervisor
from number_masking.consumer import ConcurrentConsumer, Record
from tests.support import eventually

pytestmark = pytest.mark.unit

TP = TopicPartition("masking.requests", 0)
OTHER = TopicPartition("masking.requests", 1)


@dataclass
class FakeRecord:
    topic: str
    partition: int
    offset: int


class FakeKafka:
    """Stands in for AIOKafkaConsumer: hands out queued batches and records every commit."""

    def __init__(self) -> None:
        self.batches: asyncio.Queue[dict[TopicPartition, list[FakeRecord]]] = asyncio.Queue()
        self.commits: list[dict[TopicPartition, int]] = []
        self.polls = 0

    async def getmany(self, timeout_ms: int, max_records: int) -> Any:  # noqa: ARG002
        self.polls += 1
        try:
            return await asyncio.wait_for(self.batches.get(), timeout=0.01)
        except TimeoutError:
            return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    def committed(self, tp: TopicPartition) -> int | None:
        values = [c[tp] for c in self.commits if tp in c]
        return values[-1] if values else None

    def feed(self, tp: TopicPartition, *offsets: int) -> None:
        records = [FakeRecord(tp.topic, tp.partition, o) for o in offsets]
        self.batches.put_nowait({tp: records})


class Gate:
    """A handler whose records finish when the test says so (or fail, when told to)."""

    def __init__(self) -> None:
        self.release: dict[tuple[int, int], asyncio.Event] = {}
        self.failing: set[tuple[int, int]] = set()
        self.started: list[tuple[int, int]] = []

    def event(self, tp: TopicPartition, offset: int) -> asyncio.Event:
        return self.release.setdefault((tp.partition, offset), asyncio.Event())

    def finish(self, tp: TopicPartition, *offsets: int) -> None:
        for offset in offsets:
            self.event(tp, offset).set()

    async def handle(self, record: Record) -> None:
        key = (record.partition, record.offset)
        self.started.append(key)
        await self.event(TopicPartition(record.topic, record.partition), record.offset).wait()
        if key in self.failing:
            raise RuntimeError("handler bug")


@asynccontextmanager
async def consumer_running(
    commit_interval: float,
) -> AsyncIterator[tuple[ConcurrentConsumer, FakeKafka, Gate]]:
    gate, kafka = Gate(), FakeKafka()
    consumer = ConcurrentConsumer(
        {},
        TP.topic,
        "unit",
        gate.handle,
        max_in_flight=10,
        drain_timeout=0.05,
        supervisor=Supervisor("unit"),
        commit_interval=commit_interval,
    )
    consumer._consumer = cast("Any", kafka)  # noqa: SLF001 - the fake broker, without start()
    consumer._lag_due = float("inf")  # noqa: SLF001 - no lag gauge against a fake
    task = asyncio.create_task(consumer._run())  # noqa: SLF001
    try:
        yield consumer, kafka, gate
    finally:
        task.cancel()
        for event in gate.release.values():
            event.set()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def running() -> AsyncIterator[tuple[ConcurrentConsumer, FakeKafka, Gate]]:
    """Commits on every pass of the loop, so each test sees the commit rule at once."""
    async with consumer_running(commit_interval=0) as parts:
        yield parts


async def committed(kafka: FakeKafka, tp: TopicPartition, offset: int) -> None:
    async def probe() -> bool:
        return kafka.committed(tp) == offset

    await eventually(probe, timeout=5, interval=0.005, what=f"commit {offset} on {tp}")


async def passes(kafka: FakeKafka, count: int) -> None:
    target = kafka.polls + count

    async def probe() -> bool:
        return kafka.polls >= target

    await eventually(probe, timeout=5, interval=0.005, what=f"{count} consumer passes")


async def started(gate: Gate, count: int) -> None:
    async def probe() -> bool:
        return len(gate.started) >= count

    await eventually(probe, timeout=5, interval=0.005, what=f"{count} records started")


async def test_records_run_concurrently_and_the_commit_waits_for_the_oldest(
    running: tuple[ConcurrentConsumer, FakeKafka, Gate],
) -> None:
    _, kafka, gate = running
    kafka.feed(TP, 0, 1, 2)
    await started(gate, 3)  # all three in flight at once: a slow one holds up nobody

    gate.finish(TP, 1, 2)
    await committed(kafka, TP, 0)
    # Later records are done, the oldest is not: the offset stays at it on every pass.
    kafka.feed(TP, 3)
    await started(gate, 4)
    gate.finish(TP, 3)
    await passes(kafka, 3)  # each pass of the loop commits what is safe
    assert kafka.committed(TP) == 0
    assert all(c.get(TP, 0) == 0 for c in kafka.commits)

    gate.finish(TP, 0)
    await committed(kafka, TP, 4)  # everything done: past the last record


async def test_partitions_commit_independently(
    running: tuple[ConcurrentConsumer, FakeKafka, Gate],
) -> None:
    _, kafka, gate = running
    kafka.feed(TP, 10, 11)
    kafka.feed(OTHER, 5)
    await started(gate, 3)
    gate.finish(OTHER, 5)
    gate.finish(TP, 11)

    await committed(kafka, OTHER, 6)
    assert kafka.committed(TP) == 10


async def test_a_failing_handler_is_committed_past_not_retried_forever(
    running: tuple[ConcurrentConsumer, FakeKafka, Gate],
) -> None:
    _, kafka, gate = running
    gate.failing.add((TP.partition, 0))
    kafka.feed(TP, 0, 1)
    await started(gate, 2)
    gate.finish(TP, 0, 1)
    await committed(kafka, TP, 2)


async def test_revoking_commits_only_below_what_is_still_unfinished(
    running: tuple[ConcurrentConsumer, FakeKafka, Gate],
) -> None:
    consumer, kafka, gate = running
    kafka.feed(TP, 0, 1, 2)
    await started(gate, 3)
    gate.finish(TP, 0, 2)

    await consumer.drain({TP})  # 1 does not finish within the drain timeout

    assert kafka.committed(TP) == 1  # a new owner re-delivers 1 (and 2, idempotently)


async def test_commits_are_paced_and_a_revoke_commits_at_once() -> None:
    async with consumer_running(commit_interval=3600) as (consumer, kafka, gate):
        kafka.feed(TP, 0)
        await started(gate, 1)
        gate.finish(TP, 0)
        kafka.feed(TP, 1)
        await started(gate, 2)
        gate.finish(TP, 1)
        await passes(kafka, 3)
        # The first pass committed (nothing was due before it); finished records since then
        # wait for the interval rather than costing a commit each.
        assert len(kafka.commits) <= 1
        assert (kafka.committed(TP) or 0) < 2

        await consumer.drain({TP})

        assert kafka.committed(TP) == 2
