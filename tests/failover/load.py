"""Calls at a steady rate into `calls.inbound` (as the media edge would publish them) and every
decision read back from `calls.decisions`, with what each call waited and whether any call got
two different decisions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from callplane_shared.kafka import PRODUCER_OPTIONS
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND

CALL = (
    '{{"callId":"{call_id}","from":"+41445550100","to":"{to}","receivedAt":"{at}",'
    '"endpoint":{{"type":"PHONE"}}}}'
)
# Fields that may differ between two deliveries of the same decision (invariant 3).
VOLATILE = {"decidedAt", "occurredAt"}


@dataclass
class Calls:
    sent_at: dict[str, float] = field(default_factory=dict)  # callId → wall clock at send
    accepted: set[str] = field(default_factory=set)  # Kafka acknowledged the InboundCall
    offsets: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # callId → (partition, offset)
    refused: dict[str, str] = field(default_factory=dict)  # callId → the producer's error
    # callId → seconds from send to Kafka's acknowledgement of the InboundCall: the part of a
    # call's wait spent before call-dispatch could read it (the edge's own produce).
    acked_after: dict[str, float] = field(default_factory=dict)
    waited: dict[str, float] = field(default_factory=dict)  # callId → seconds to first decision
    # callId → seconds from send to the decision's own timestamp (set by call-dispatch's producer):
    # the wait without this process's own lag in reading decisions on a starved host.
    produced_after: dict[str, float] = field(default_factory=dict)
    decisions: dict[str, str] = field(default_factory=dict)  # callId → first decision, normalised
    duplicates: int = 0
    conflicting: list[str] = field(default_factory=list)


def _normalised(value: bytes) -> str:
    decision: dict[str, Any] = json.loads(value)
    return json.dumps({k: v for k, v in decision.items() if k not in VOLATILE}, sort_keys=True)


class Edge:
    """Publishes calls at `rate`/s to numbers round-robin until stopped."""

    def __init__(self, bootstrap: str, numbers: list[str], run: str, calls: Calls) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_OPTIONS)
        self._numbers = numbers
        self._run = run
        self._calls = calls
        self._pending: set[asyncio.Future[Any]] = set()

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        if self._pending:
            await asyncio.wait(self._pending, timeout=120)
        await self._producer.stop()

    def _on_ack(self, call_id: str, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if future.cancelled():
            self._calls.refused[call_id] = "cancelled"
        elif future.exception() is not None:
            self._calls.refused[call_id] = repr(future.exception())
        else:
            self._calls.accepted.add(call_id)
            self._calls.acked_after[call_id] = time.time() - self._calls.sent_at[call_id]
            written = future.result()
            self._calls.offsets[call_id] = (written.partition, written.offset)

    async def offer(self, rate: int, until: asyncio.Event) -> None:
        began = time.perf_counter()
        i = 0
        while not until.is_set():
            due = began + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            call_id = f"{self._run}-{i}"
            now = time.time()
            at = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
            value = CALL.format(call_id=call_id, to=self._numbers[i % len(self._numbers)], at=at)
            self._calls.sent_at[call_id] = now
            try:
                future = await self._producer.send(
                    CALLS_INBOUND.name, value.encode(), key=call_id.encode()
                )
            except Exception as exc:  # noqa: BLE001 - counted as refused, the run goes on
                self._calls.refused[call_id] = repr(exc)
            else:
                self._pending.add(future)
                future.add_done_callback(lambda f, c=call_id: self._on_ack(c, f))
            i += 1


class DecisionReader:
    """Reads `calls.decisions` from its end at start; keeps what this run's calls got."""

    def __init__(self, bootstrap: str, run: str, calls: Calls) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=5,
        )
        self._prefix = f"{run}-".encode()
        self._calls = calls
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        assigned = [
            TopicPartition(CALLS_DECISIONS.name, p) for p in range(CALLS_DECISIONS.partitions)
        ]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _follow(self) -> None:
        calls = self._calls
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for record in records:
                    if not (record.key or b"").startswith(self._prefix) or record.value is None:
                        continue
                    call_id = record.key.decode()
                    seen = _normalised(record.value)
                    first = calls.decisions.setdefault(call_id, seen)
                    if first is not seen:
                        calls.duplicates += 1
                        if first != seen:
                            calls.conflicting.append(call_id)
                        continue
                    sent = calls.sent_at.get(call_id, now)
                    calls.waited[call_id] = now - sent
                    calls.produced_after[call_id] = record.timestamp / 1000 - sent


def unseen_but_committed(
    calls: Calls, undecided: list[str], committed: dict[int, int]
) -> tuple[list[str], list[str]]:
    """Split calls whose decision this process never read into (lost, handled unseen).

    call-dispatch commits an offset of `calls.inbound` only after Kafka acknowledged the decision
    of every call before it (`call_dispatch.dispatcher`), so a call below its group's committed
    offset was handled even if its decision reached `calls.decisions` after this test stopped
    reading (a coordinator still failing over on a starved host holds decisions for minutes), or
    skipped on purpose as older than MAX_CALL_AGE_SECONDS (counted apart)."""
    lost: list[str] = []
    unseen: list[str] = []
    for call_id in undecided:
        partition, offset = calls.offsets[call_id]
        (unseen if offset < committed.get(partition, 0) else lost).append(call_id)
    return lost, unseen
