"""The shared durable webhook queue against an in-memory collection: one holder per claim (two
workers never send one delivery at once), a dead holder's delivery comes back after its lease,
failures are dead-lettered with their reason, one account cannot take every slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import WebhookError
from callplane_shared.webhooks.queue import DeliveryQueue, DeliveryWorker, QueuePolicy
from tests.unit.call_records.memory_collection import MemoryCollection

pytestmark = pytest.mark.unit

Document = dict[str, Any]


class Receiver:
    def __init__(self, *script: str | None) -> None:
        self.script = list(script)
        self.got: list[str] = []

    async def send(self, doc: Document) -> None:
        self.got.append(doc["_id"])
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise WebhookError(f"scripted {outcome}", outcome)


def setup(receiver: Receiver, workers: int = 1, **policy: Any) -> tuple[Any, list[DeliveryWorker]]:
    collection = MemoryCollection()
    queue = DeliveryQueue(cast("Any", collection))
    rules = QueuePolicy(**policy)
    made = [
        DeliveryWorker("test", queue, receiver.send, rules, Supervisor("test"))
        for _ in range(workers)
    ]
    return collection, made


def due_again(collection: MemoryCollection) -> None:
    for doc in collection.docs.values():
        if doc.get("state") == "pending":
            doc["nextAttemptAt"] = datetime.now(UTC) - timedelta(seconds=1)


async def test_two_workers_racing_for_one_delivery_send_it_once() -> None:
    receiver = Receiver()
    collection, (one, two) = setup(receiver, workers=2)
    await DeliveryQueue(cast("Any", collection)).enqueue("d-1", account="a-1", payload={})
    started = await asyncio.gather(one.deliver_due(), two.deliver_due())
    await asyncio.gather(*started[0], *started[1])
    assert receiver.got == ["d-1"]
    assert collection.docs["d-1"]["state"] == "delivered"
    assert list(collection.docs) == ["d-1"], "the claim is released after the attempt"


async def test_a_holder_that_died_before_moving_the_lease_blocks_only_its_window() -> None:
    receiver = Receiver()
    collection, (worker,) = setup(receiver, lease=timedelta(seconds=30))
    queue = DeliveryQueue(cast("Any", collection))
    await queue.enqueue("d-1", account="a-1", payload={})
    doc = dict(collection.docs["d-1"])
    # A holder inserted its claim and was killed -9 before writing the delivery.
    now = datetime.now(UTC)
    due = doc["nextAttemptAt"]
    await collection.insert_one(
        {"_id": f"claim/d-1/{due.isoformat()}/0", "state": "claim", "until": now + timedelta(30)}
    )
    assert await worker.deliver_due() == []
    collection.docs["d-1"]["nextAttemptAt"] = due - timedelta(seconds=31)  # the window lapsed
    await asyncio.gather(*await worker.deliver_due())
    assert receiver.got == ["d-1"]


async def test_failures_back_off_then_dead_letter_with_the_reason() -> None:
    receiver = Receiver("http_error", "timeout")
    collection, (worker,) = setup(receiver, max_attempts=2)
    await DeliveryQueue(cast("Any", collection)).enqueue("d-1", account="a-1", payload={})
    before = datetime.now(UTC)
    await asyncio.gather(*await worker.deliver_due())
    assert collection.docs["d-1"]["nextAttemptAt"] >= before + timedelta(seconds=1)
    due_again(collection)
    await asyncio.gather(*await worker.deliver_due())
    doc = collection.docs["d-1"]
    assert (doc["state"], doc["attempts"], doc["lastError"]) == (
        "dead_letter",
        2,
        "scripted timeout",
    )


async def test_a_busy_account_keeps_its_share_and_others_go() -> None:
    receiver = Receiver()
    collection, (worker,) = setup(receiver, per_account=1)
    queue = DeliveryQueue(cast("Any", collection))
    for n in range(3):
        await queue.enqueue(f"busy-{n}", account="a-1", payload={})
    await queue.enqueue("quiet", account="a-2", payload={})
    started = await worker.deliver_due()
    assert sorted(worker.running[t]["accountId"] for t in started) == ["a-1", "a-2"]
    await asyncio.gather(*started)


async def test_enqueueing_the_same_delivery_twice_queues_it_once() -> None:
    collection, _ = setup(Receiver())
    queue = DeliveryQueue(cast("Any", collection))
    assert await queue.enqueue("d-1", account="a-1", payload={})
    assert not await queue.enqueue("d-1", account="a-1", payload={})


async def test_two_workers_that_read_the_same_due_delivery_get_one_claim() -> None:
    collection, _ = setup(Receiver())
    queue = DeliveryQueue(cast("Any", collection))
    await queue.enqueue("d-1", account="a-1", payload={})
    seen = dict(collection.docs["d-1"])  # both read it before either claimed
    now = datetime.now(UTC)
    first = await queue.claim(seen, now, timedelta(seconds=30))
    second = await queue.claim(seen, now + timedelta(seconds=1), timedelta(seconds=30))
    assert first is not None
    assert second is None


async def test_pruning_removes_dead_claims_and_old_finished_deliveries_only() -> None:
    collection, _ = setup(Receiver())
    queue = DeliveryQueue(cast("Any", collection))
    now = datetime.now(UTC)
    await queue.enqueue("pending", account="a-1", payload={})
    await queue.enqueue("old", account="a-1", payload={})
    await queue.enqueue("recent", account="a-1", payload={})
    collection.docs["old"] |= {"state": "delivered", "finishedAt": now - timedelta(days=2)}
    collection.docs["recent"] |= {"state": "dead_letter", "finishedAt": now}
    await collection.insert_one({"_id": "claim/x", "state": "claim", "until": now - timedelta(1)})
    await collection.insert_one({"_id": "claim/y", "state": "claim", "until": now + timedelta(1)})
    await queue.prune(now, None)
    assert sorted(collection.docs) == ["claim/y", "old", "pending", "recent"]
    await queue.prune(now, timedelta(days=1))
    assert sorted(collection.docs) == ["claim/y", "pending", "recent"]
