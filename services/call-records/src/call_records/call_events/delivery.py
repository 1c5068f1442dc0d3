"""Delivers queued call events: at least once, with backoff, in order per call and subscription,
at most `per_account` in flight per account (so one customer's slow webhook holds only its own
share), through the shared webhook client (signed, address-vetted, deadline-bound).

Order: an event is claimed only when no lower event of its stream is still pending, and one that
would arrive after a later event was already delivered (a late RINGING) is superseded, not sent.
A claim is a lease on `nextAttemptAt`: if this process dies mid-delivery, the event becomes due
again after the lease and is sent again (the subscriber deduplicates by `eventId`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from call_records.call_events.queue import PENDING, CallEventQueue
from call_records.subscriptions.store import SubscriptionStore
from callplane_shared.metrics import CALL_EVENT_BACKLOG, CALL_EVENT_DELIVERIES
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import SigningKey, WebhookError, retry_delay

logger = logging.getLogger(__name__)

Document = dict[str, Any]
CLAIM_LEASE = timedelta(seconds=30)
MAX_BACKOFF_SECONDS = 300.0
DEAD_LETTER = "dead_letter"


class Poster(Protocol):
    async def post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        customer: str,
        signing: SigningKey | None,
        connect_timeout: float,
        budget: float,
        expect_json: bool = True,
        authorization: str | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    connect_timeout: float = 1.0
    budget: float = 5.0
    max_attempts: int = 10
    backoff_seconds: float = 1.0
    poll_seconds: float = 0.5
    concurrency: int = 32
    per_account: int = 4


def _now() -> datetime:
    return datetime.now(UTC)


class CallEventDelivery:
    def __init__(
        self,
        queue: CallEventQueue,
        subscriptions: SubscriptionStore,
        poster: Poster,
        policy: DeliveryPolicy,
        supervisor: Supervisor,
    ) -> None:
        self._queue = queue
        self._subscriptions = subscriptions
        self._poster = poster
        self._policy = policy
        self._supervisor = supervisor
        self._running: dict[asyncio.Task[None], Document] = {}

    async def start(self) -> None:
        self._supervisor.every("call-event-delivery", self._policy.poll_seconds, self.deliver_due)

    async def stop(self) -> None:
        await self._supervisor.stop("call-event-delivery")
        # In-flight deliveries are abandoned: their lease lapses and they are sent again.
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def deliver_due(self) -> list[asyncio.Task[None]]:
        """Claim due events for the free slots and start delivering them (the tasks are
        returned for tests; the pass does not wait for them)."""
        events = self._queue.events
        CALL_EVENT_BACKLOG.set(await events.count_documents({"state": PENDING}))
        free = self._policy.concurrency - len(self._running)
        if free <= 0:
            return []
        now = _now()
        due = events.find({"state": PENDING, "nextAttemptAt": {"$lte": now}}).sort(
            [("sequence", 1), ("createdAt", 1)]
        )
        in_flight = Counter(doc["accountId"] for doc in self._running.values())
        streams = {doc["stream"] for doc in self._running.values()}
        started: list[asyncio.Task[None]] = []
        async for doc in due.limit(free * 4):
            if len(started) >= free:
                break
            if doc["stream"] in streams or in_flight[doc["accountId"]] >= self._policy.per_account:
                continue
            if not await self._first_of_stream(doc) or not await self._claim(doc, now):
                continue
            task = asyncio.create_task(self._guarded(doc))
            self._running[task] = doc
            task.add_done_callback(self._forget)
            in_flight[doc["accountId"]] += 1
            streams.add(doc["stream"])
            started.append(task)
        return started

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)

    async def _first_of_stream(self, doc: Document) -> bool:
        earlier = {"stream": doc["stream"], "state": PENDING, "sequence": {"$lt": doc["sequence"]}}
        return await self._queue.events.count_documents(earlier, limit=1) == 0

    async def _claim(self, doc: Document, now: datetime) -> bool:
        result = await self._queue.events.update_one(
            {"_id": doc["_id"], "state": PENDING, "nextAttemptAt": doc["nextAttemptAt"]},
            {"$set": {"nextAttemptAt": now + CLAIM_LEASE}},
        )
        return result.modified_count == 1

    async def _guarded(self, doc: Document) -> None:
        try:
            await self._deliver(doc)
        except Exception as exc:
            logger.warning("call event %s failed", doc["_id"], exc_info=True)
            with contextlib.suppress(Exception):  # the lease expires; a later pass retries
                await self._retry_later(doc, f"{type(exc).__name__}: {exc}"[:500])

    async def _deliver(self, doc: Document) -> None:
        later = {
            "stream": doc["stream"],
            "state": "delivered",
            "sequence": {"$gt": doc["sequence"]},
        }
        if await self._queue.events.count_documents(later, limit=1):
            await self._finish(doc, "superseded", "a later event of the call was delivered first")
            return
        subscription = await self._subscriptions.collection.find_one(
            {"_id": doc["subscriptionKey"]}
        )
        if subscription is None:
            await self._finish(doc, "dropped", "the subscription was deleted")
            return
        target = self._subscriptions.delivery(subscription)
        try:
            await self._poster.post(
                target.notify_url,
                doc["body"],
                customer=doc["accountId"],
                signing=target.signing,
                connect_timeout=self._policy.connect_timeout,
                budget=self._policy.budget,
                expect_json=False,
                authorization=target.authorization,
            )
        except WebhookError as exc:
            if exc.outcome == "busy":
                await self._defer(doc)
            else:
                await self._retry_later(doc, exc.reason)
            return
        await self._finish(doc, "delivered", None)

    async def _defer(self, doc: Document) -> None:
        """Not sent (the account's share of the client is in use): due again shortly, and not
        counted as an attempt."""
        CALL_EVENT_DELIVERIES.labels("deferred").inc()
        await self._queue.events.update_one(
            {"_id": doc["_id"]},
            {"$set": {"nextAttemptAt": _now() + timedelta(seconds=self._policy.backoff_seconds)}},
        )

    async def _finish(self, doc: Document, state: str, error: str | None) -> None:
        CALL_EVENT_DELIVERIES.labels(state).inc()
        now = _now()
        fields = {"state": state, "lastError": error, "finishedAt": now}
        if state == "delivered":
            fields |= {"deliveredAt": now, "lastAttemptAt": now}
        attempts = doc.get("attempts", 0) + (1 if state == "delivered" else 0)
        fields["attempts"] = attempts
        await self._queue.events.update_one({"_id": doc["_id"]}, {"$set": fields})

    async def _retry_later(self, doc: Document, error: str) -> None:
        attempts = doc.get("attempts", 0) + 1
        now = _now()
        fields: Document = {"attempts": attempts, "lastError": error, "lastAttemptAt": now}
        if attempts >= self._policy.max_attempts:
            logger.warning(
                "call event %s dead-lettered after %d attempts: %s",
                doc["_id"],
                attempts,
                error,
                extra={"call_id": doc["callId"]},
            )
            CALL_EVENT_DELIVERIES.labels("gave_up").inc()
            fields |= {"state": DEAD_LETTER, "finishedAt": now}
        else:
            CALL_EVENT_DELIVERIES.labels("retried").inc()
            delay = retry_delay(attempts, self._policy.backoff_seconds, MAX_BACKOFF_SECONDS)
            fields["nextAttemptAt"] = now + timedelta(seconds=delay)
        await self._queue.events.update_one({"_id": doc["_id"], "state": PENDING}, {"$set": fields})
