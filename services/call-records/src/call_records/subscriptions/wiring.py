"""Subscriptions and call events as one part of call-records: built here, so main.py only adds
the part (its router, its start/stop, and `after_write` for the Kafka handlers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from call_records.call_events.delivery import CallEventDelivery
from call_records.call_events.queue import CallEventQueue, Document
from call_records.subscriptions.api import subscriptions_router
from call_records.subscriptions.settings import SubscriptionSettings
from call_records.subscriptions.store import SubscriptionStore
from callplane_shared.events import AccountUpserted, CallDecision
from callplane_shared.sealing import CredentialCipher
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import AddressPolicy, SenderLimits, WebhookSender

USER_AGENT = "callplane-call-events/1"


@dataclass
class CallEventsPart:
    router: APIRouter
    queue: CallEventQueue
    delivery: CallEventDelivery
    sender: WebhookSender
    subscriptions: SubscriptionStore

    async def after_write(self, call_id: str, decision: CallDecision | None = None) -> None:
        """Queue what the record's latest write made known (every handler calls this; the
        decision handler with a decision to a calls configuration)."""
        if decision is not None:
            await self.queue.remember(decision)
        await self.queue.sync(call_id)

    async def start(self) -> None:
        await self.subscriptions.ensure_indexes()
        await self.queue.ensure_indexes()
        await self.delivery.start()

    async def stop(self) -> None:
        await self.delivery.stop()
        await self.sender.aclose()


def build_call_events(
    settings: SubscriptionSettings,
    *,
    mongo: AsyncMongoClient[Document],
    database: str,
    records: AsyncCollection[Document],
    current_account: Callable[[Request], Awaitable[AccountUpserted]],
    supervisor: Supervisor,
) -> CallEventsPart:
    policy = settings.delivery_policy()
    subscriptions = SubscriptionStore(
        mongo, database, CredentialCipher(settings.subscriptions_key_bytes)
    )
    queue = CallEventQueue(
        mongo, database, records, subscriptions, settings.subscriptions_per_account
    )
    sender = WebhookSender(
        AddressPolicy.parse(settings.subscriptions_allowed_hosts),
        user_agent=USER_AGENT,
        limits=SenderLimits(per_customer=policy.per_account, per_address=policy.concurrency),
    )
    delivery = CallEventDelivery(queue, subscriptions, sender, policy, supervisor)
    router = subscriptions_router(
        subscriptions, current_account, settings.subscriptions_per_account
    )
    return CallEventsPart(router, queue, delivery, sender, subscriptions)
