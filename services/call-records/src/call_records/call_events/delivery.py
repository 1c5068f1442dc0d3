"""Delivers queued call events through the shared durable queue's worker: at least once, with
backoff, in order per call and subscription (each delivery's `stream`), at most `per_account` in
flight per account, through the shared webhook client (signed, address-vetted, deadline-bound).

Order: an event is claimed only when no lower event of its stream is still pending, and one that
would arrive after a later event was already delivered (a late RINGING) is superseded, not sent.
If this process dies mid-delivery, the event is due again after its lease and sent again (the
subscriber deduplicates by `eventId`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from call_records.call_events.queue import CallEventQueue
from call_records.subscriptions.store import SubscriptionStore
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import SigningKey
from callplane_shared.webhooks.queue import DeliveryWorker, QueuePolicy, UndeliverableError

Document = dict[str, Any]
QUEUE_NAME = "call-events"


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


class CallEventDelivery:
    def __init__(
        self,
        queue: CallEventQueue,
        subscriptions: SubscriptionStore,
        poster: Poster,
        policy: QueuePolicy,
        supervisor: Supervisor,
    ) -> None:
        self._subscriptions = subscriptions
        self._poster = poster
        self._policy = policy
        self.worker = DeliveryWorker(QUEUE_NAME, queue.deliveries, self._send, policy, supervisor)

    async def start(self) -> None:
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()

    async def deliver_due(self) -> list[asyncio.Task[None]]:
        return await self.worker.deliver_due()

    async def _send(self, doc: Document) -> None:
        subscription = await self._subscriptions.collection.find_one(
            {"_id": doc["subscriptionKey"]}
        )
        if subscription is None:
            raise UndeliverableError("the subscription was deleted")
        target = self._subscriptions.delivery(subscription)
        await self._poster.post(
            target.notify_url,
            # Events queued before the shared queue kept their body under `body`.
            doc["payload"] if "payload" in doc else doc["body"],
            customer=doc["accountId"],
            signing=target.signing,
            connect_timeout=self._policy.connect_timeout,
            budget=self._policy.budget,
            expect_json=False,
            authorization=target.authorization,
        )
