"""The one durable webhook queue: a repository over a MongoDB collection the calling service owns
(one document per delivery) and a supervised worker that sends due deliveries through a
service-supplied `send` (which posts with the shared `WebhookSender`).

```python
queue = DeliveryQueue(db["x_deliveries"])
await queue.ensure_indexes()
await queue.enqueue("evt-1", account="acct-1", payload={...})        # False: queued already
worker = DeliveryWorker("x-deliveries", queue, send, QueuePolicy(), supervisor)
await worker.start()                                                  # supervisor.every(...)
```

A delivery is `pending` until it ends `delivered`, `dead_letter` (after `max_attempts`, with the
last error as reason), `dropped` (`send` raised `UndeliverableError`: its target is gone) or
`superseded` (a later delivery of its stream went first). `busy` (the account's share of the
sender is full) defers without counting an attempt. Failures come back after `retry_delay`.

Fair share: at most `per_account` deliveries of one account in flight per worker, so one
customer's slow endpoint holds only its own slots. Order: deliveries with a `stream` (e.g. one
call's events to one subscription) go one at a time in `sequence` order.

Claims and FerretDB 1.24: a conditional update ("set the lease if nobody else did") is not
isolated there (two concurrent updates of one document can both report success, one lost), so a
claim is the insert of a claim document whose `_id` names the delivery, the due time it was
found with and the lease window (`claim/<id>/<due>/<window>`): the unique `_id` index lets exactly
one worker win. The winner alone then writes the delivery document (one writer per document):
it re-reads it by `_id` (fast there), confirms it is still due at that time, moves
`nextAttemptAt` past the lease and deletes the claim when the attempt has been recorded. If it
dies (kill -9) the delivery is due again once the lease lapses, under a new claim key, and is sent
again: at least once, the receiver deduplicates by its event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from callplane_shared.metrics import WEBHOOK_QUEUE_BACKLOG, WEBHOOK_QUEUE_DELIVERIES
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks.errors import WebhookError
from callplane_shared.webhooks.retry import retry_delay

logger = logging.getLogger(__name__)

Document = dict[str, Any]
PENDING, DELIVERED, DEAD_LETTER = "pending", "delivered", "dead_letter"
DROPPED, SUPERSEDED = "dropped", "superseded"
_CLAIM = "claim"
PRUNE_EVERY = 60.0  # seconds
OUTCOMES = (DELIVERED, "retried", "deferred", "gave_up", DROPPED, SUPERSEDED)


class UndeliverableError(Exception):
    """Raised by `send` when the delivery can never be made (its target was deleted)."""


@dataclass(frozen=True)
class QueuePolicy:
    connect_timeout: float = 1.0
    budget: float = 5.0
    max_attempts: int = 10
    first_backoff: float = 1.0
    max_backoff: float = 300.0
    poll_seconds: float = 0.5
    concurrency: int = 32
    per_account: int = 4
    lease: timedelta = timedelta(seconds=30)  # longer than any attempt's budget
    keep_finished: timedelta | None = None  # pruned after this; None: the owner's retention

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=retry_delay(attempts, self.first_backoff, self.max_backoff))


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryQueue:
    """The documents of one queue; every write to a delivery is made by its claim's holder."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            [("state", ASCENDING), ("nextAttemptAt", ASCENDING)], name="due"
        )
        await self.collection.create_index(
            [("stream", ASCENDING), ("sequence", ASCENDING)], name="stream_order"
        )

    async def enqueue(
        self,
        delivery_id: str,
        *,
        account: str,
        payload: Document,
        stream: str | None = None,
        sequence: int = 0,
        **fields: Any,
    ) -> bool:
        """Queue one delivery under its own id; False when it was queued already (a re-delivered
        event), so producers may re-derive freely."""
        now = _now()
        doc = {
            **fields,
            "_id": delivery_id,
            "accountId": account,
            "payload": payload,
            "stream": stream,
            "sequence": sequence,
            "state": PENDING,
            "attempts": 0,
            "nextAttemptAt": now,
            "createdAt": now,
        }
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def backlog(self) -> int:
        return await self.collection.count_documents({"state": PENDING})

    def due(self, now: datetime, limit: int) -> Any:
        return (
            self.collection.find({"state": PENDING, "nextAttemptAt": {"$lte": now}})
            .sort([("sequence", 1), ("createdAt", 1)])
            .limit(limit)
        )

    async def first_of_stream(self, doc: Document) -> bool:
        if doc.get("stream") is None:
            return True
        earlier = {"stream": doc["stream"], "state": PENDING, "sequence": {"$lt": doc["sequence"]}}
        return await self.collection.count_documents(earlier, limit=1) == 0

    async def overtaken(self, doc: Document) -> bool:
        if doc.get("stream") is None:
            return False
        later = {"stream": doc["stream"], "state": DELIVERED, "sequence": {"$gt": doc["sequence"]}}
        return bool(await self.collection.count_documents(later, limit=1))

    async def claim(self, doc: Document, now: datetime, lease: timedelta) -> str | None:
        """The claim's key when this worker now holds the delivery, else None."""
        due: datetime = doc["nextAttemptAt"]
        window = int((now - due) / lease) if now > due else 0
        key = f"{_CLAIM}/{doc['_id']}/{due.isoformat()}/{window}"
        try:
            await self.collection.insert_one({"_id": key, "state": _CLAIM, "until": now + lease})
        except DuplicateKeyError:
            return None
        current = await self.collection.find_one({"_id": doc["_id"]})
        if current is None or current["state"] != PENDING or current["nextAttemptAt"] != due:
            await self.release(key)  # another holder moved it on between our read and claim
            return None
        await self._set(doc, {"nextAttemptAt": now + lease})
        return key

    async def release(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})

    async def _set(self, doc: Document, fields: Document) -> None:
        await self.collection.update_one({"_id": doc["_id"]}, {"$set": fields})

    async def finish(self, doc: Document, state: str, error: str | None) -> None:
        now = _now()
        fields: Document = {"state": state, "lastError": error, "finishedAt": now}
        attempts = doc.get("attempts", 0)
        if state == DELIVERED:
            fields |= {"deliveredAt": now, "lastAttemptAt": now}
            attempts += 1
        fields["attempts"] = attempts
        await self._set(doc, fields)

    async def defer(self, doc: Document, at: datetime) -> None:
        await self._set(doc, {"nextAttemptAt": at})

    async def failed(self, doc: Document, error: str, policy: QueuePolicy) -> str:
        """Record a failed attempt: retried later, or dead-lettered after `max_attempts`."""
        attempts = doc.get("attempts", 0) + 1
        now = _now()
        fields: Document = {"attempts": attempts, "lastError": error, "lastAttemptAt": now}
        if attempts >= policy.max_attempts:
            fields |= {"state": DEAD_LETTER, "finishedAt": now}
            outcome = "gave_up"
        else:
            fields["nextAttemptAt"] = now + policy.backoff(attempts)
            outcome = "retried"
        await self._set(doc, fields)
        return outcome

    async def prune(self, now: datetime, keep_finished: timedelta | None) -> None:
        """Claims of holders that died (past their lease), and finished deliveries past their
        keep time (kept when `keep_finished` is None: the owner's retention applies)."""
        await self.collection.delete_many({"state": _CLAIM, "until": {"$lt": now}})
        if keep_finished is not None:
            await self.collection.delete_many(
                {"state": {"$nin": [PENDING, _CLAIM]}, "finishedAt": {"$lt": now - keep_finished}}
            )


Send = Callable[[Document], Awaitable[None]]


class DeliveryWorker:
    """Claims due deliveries for its free slots and runs `send` for each, supervised: a loop
    that dies makes the process not-live (invariant 10)."""

    def __init__(
        self,
        name: str,
        queue: DeliveryQueue,
        send: Send,
        policy: QueuePolicy,
        supervisor: Supervisor,
    ) -> None:
        self.name = name
        self._queue = queue
        self._send = send
        self._policy = policy
        self._supervisor = supervisor
        self.running: dict[asyncio.Task[None], Document] = {}
        self._pruned_at = float("-inf")
        for outcome in OUTCOMES:
            WEBHOOK_QUEUE_DELIVERIES.labels(name, outcome)

    async def start(self) -> None:
        self._supervisor.every(self.name, self._policy.poll_seconds, self.deliver_due)

    async def stop(self) -> None:
        await self._supervisor.stop(self.name)
        # In-flight deliveries are abandoned: their lease lapses and they are sent again.
        running = list(self.running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def deliver_due(self) -> list[asyncio.Task[None]]:
        """Claim due deliveries for the free slots and start them (the tasks are returned for
        tests; the pass does not wait for them)."""
        WEBHOOK_QUEUE_BACKLOG.labels(self.name).set(await self._queue.backlog())
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY:  # scans: not on every pass
            self._pruned_at = time.monotonic()
            await self._queue.prune(_now(), self._policy.keep_finished)
        free = self._policy.concurrency - len(self.running)
        if free <= 0:
            return []
        now = _now()
        in_flight = Counter(doc["accountId"] for doc in self.running.values())
        streams = {doc["stream"] for doc in self.running.values() if doc.get("stream")}
        started: list[asyncio.Task[None]] = []
        async for doc in self._queue.due(now, free * 4):
            if len(started) >= free:
                break
            stream = doc.get("stream")
            if stream in streams or in_flight[doc["accountId"]] >= self._policy.per_account:
                continue
            if not await self._queue.first_of_stream(doc):
                continue
            key = await self._queue.claim(doc, now, self._policy.lease)
            if key is None:
                continue
            task = asyncio.create_task(self._guarded(doc, key))
            self.running[task] = doc
            task.add_done_callback(self._forget)
            in_flight[doc["accountId"]] += 1
            if stream:
                streams.add(stream)
            started.append(task)
        return started

    def _forget(self, task: asyncio.Task[None]) -> None:
        self.running.pop(task, None)

    def _count(self, outcome: str) -> None:
        WEBHOOK_QUEUE_DELIVERIES.labels(self.name, outcome).inc()

    async def _guarded(self, doc: Document, key: str) -> None:
        try:
            await self._attempt(doc)
        except Exception as exc:
            logger.warning("%s: delivery %s failed", self.name, doc["_id"], exc_info=True)
            with contextlib.suppress(Exception):  # the lease lapses; a later pass retries
                self._count(await self._queue.failed(doc, _reason(exc), self._policy))
        with contextlib.suppress(Exception):  # a left-over claim is pruned, never reused
            await self._queue.release(key)

    async def _attempt(self, doc: Document) -> None:
        if await self._queue.overtaken(doc):
            await self._end(doc, SUPERSEDED, "a later event of the stream was delivered first")
            return
        try:
            await self._send(doc)
        except UndeliverableError as exc:
            await self._end(doc, DROPPED, str(exc))
            return
        except WebhookError as exc:
            if exc.outcome == "busy":  # not sent: not an attempt, due again shortly
                self._count("deferred")
                await self._queue.defer(doc, _now() + timedelta(seconds=self._policy.first_backoff))
                return
            outcome = await self._queue.failed(doc, exc.reason, self._policy)
            self._count(outcome)
            if outcome == "gave_up":
                logger.warning(
                    "%s: delivery %s dead-lettered after %d attempts: %s",
                    self.name,
                    doc["_id"],
                    self._policy.max_attempts,
                    exc.reason,
                    extra={"account_id": doc["accountId"]},
                )
            return
        await self._end(doc, DELIVERED, None)

    async def _end(self, doc: Document, state: str, error: str | None) -> None:
        self._count(state)
        await self._queue.finish(doc, state, error)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
