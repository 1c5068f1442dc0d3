"""`BalanceLow` delivered to the customer: a signed webhook (both schemes of
`callplane_shared.signing`) to the account's notification URL, through the shared durable
webhook queue (collection `inventory_balance_notifications`, one delivery per alert event id, so
a re-delivered alert queues nothing twice; retried with backoff, dead-lettered after
`max_attempts`).

The account sets its URL (`PUT /account/1/notification-url`), operators may set it for it
(`PUT /admin/1/accounts/{accountId}/notification-url`). Each PUT makes a new signing secret,
answered once and stored sealed (`CredentialCipher`, the account id bound in); a GET shows the
URL only. The endpoint is read per attempt, so a changed URL or secret applies to retries and a
removed one drops what is still queued.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared.events import BalanceLow, utc_now
from callplane_shared.mongo import Document
from callplane_shared.sealing import CredentialCipher
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import SigningKey, WebhookSender
from callplane_shared.webhooks.queue import (
    DeliveryQueue,
    DeliveryWorker,
    QueuePolicy,
    UndeliverableError,
)

QUEUE_NAME = "balance-notifications"
SIGNING_ID = "callplane-balance"
"""The `apiId` of Infobip's authorization header on these notifications."""
POLICY = QueuePolicy(
    connect_timeout=2.0,
    budget=5.0,
    max_attempts=10,
    max_backoff=600.0,
    poll_seconds=1.0,
    per_account=2,
    keep_finished=timedelta(days=7),
)


class NotificationEndpoints:
    """The account's notification URL and its sealed signing secret (one document per account)."""

    def __init__(self, collection: AsyncCollection[Document], cipher: CredentialCipher) -> None:
        self._collection = collection
        self._cipher = cipher

    async def set(self, account_id: str, url: str) -> str:
        """Store the URL with a new secret; the secret is returned here and never again."""
        secret = secrets.token_urlsafe(32)
        await self._collection.replace_one(
            {"_id": account_id},
            {
                "url": url,
                "sealedSecret": self._cipher.encrypt(secret, account_id),
                "updatedAt": utc_now(),
            },
            upsert=True,
        )
        return secret

    async def url(self, account_id: str) -> str | None:
        found = await self._collection.find_one({"_id": account_id}, {"url": 1})
        return None if found is None else str(found["url"])

    async def remove(self, account_id: str) -> bool:
        return (await self._collection.delete_one({"_id": account_id})).deleted_count == 1

    async def target(self, account_id: str) -> tuple[str, SigningKey] | None:
        found = await self._collection.find_one({"_id": account_id})
        if found is None:
            return None
        secret = self._cipher.decrypt(found["sealedSecret"], account_id)
        return found["url"], SigningKey(SIGNING_ID, secret)


def notification(alert: BalanceLow) -> dict[str, Any]:
    """What the customer receives."""
    return {
        "eventId": alert.event_id,
        "type": "BALANCE_LOW",
        "accountId": alert.account_id,
        "balance": alert.balance,
        "threshold": alert.threshold,
        "currency": alert.currency,
        "occurredAt": alert.occurred_at.isoformat(),
    }


class BalanceNotifications:
    def __init__(
        self,
        queue: AsyncCollection[Document],
        endpoints: NotificationEndpoints,
        sender: WebhookSender,
        supervisor: Supervisor,
        policy: QueuePolicy = POLICY,
    ) -> None:
        self.deliveries = DeliveryQueue(queue)
        self._endpoints = endpoints
        self._sender = sender
        self._policy = policy
        self.worker = DeliveryWorker(QUEUE_NAME, self.deliveries, self._send, policy, supervisor)

    async def on_alert(self, alert: BalanceLow) -> None:
        """Queue the alert when the account has a notification URL (idempotent per event)."""
        if await self._endpoints.url(alert.account_id) is None:
            return
        await self.deliveries.enqueue(
            alert.event_id, account=alert.account_id, payload=notification(alert)
        )

    async def _send(self, doc: Document) -> None:
        target = await self._endpoints.target(doc["accountId"])
        if target is None:
            raise UndeliverableError("the account's notification URL was removed")
        url, signing = target
        await self._sender.post(
            url,
            doc["payload"],
            customer=doc["accountId"],
            signing=signing,
            connect_timeout=self._policy.connect_timeout,
            budget=self._policy.budget,
            expect_json=False,
        )
