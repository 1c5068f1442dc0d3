"""IVR run events from the edge (`calls.status` with `ivr` set) delivered to the scenario's
`notifyUrl`, in its `notifyContentType`, signed with the scenario's secret, retried with backoff.

The consumer only queues: one document per event in `action_ivr_notifications` (`_id` is the
status event's id, so a re-delivered record queues nothing twice), then commits. A supervised
worker claims due deliveries (a lease in the document, so replicas never send one twice at the
same time), posts them through the shared `WebhookSender` (address guards, per-account
admission, deadline) and either deletes the document or schedules the next attempt. After
`max_attempts` the document is kept as `FAILED` for a day, for operators, then pruned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from action_config.ivr_scenarios import SECRET_FIELD
from callplane_shared.events import CallStatus
from callplane_shared.mongo import Document
from callplane_shared.webhooks import SigningKey, WebhookError, WebhookSender
from callplane_shared.webhooks.sender import JSON

logger = logging.getLogger(__name__)

_IVR_MARKER = b'"ivr"'
PENDING, FAILED = "PENDING", "FAILED"
CLAIM = timedelta(seconds=30)  # longer than any attempt's budget
KEEP_FAILED = timedelta(days=1)


def decode_ivr_status(raw: bytes) -> CallStatus | None:
    """The status when it is an IVR run event, None for every other status (not parsed)."""
    if _IVR_MARKER not in raw:
        return None
    status = CallStatus.model_validate_json(raw)
    return status if status.ivr is not None else None


def notification(status: CallStatus) -> dict[str, Any]:
    """What the customer receives: the call, the scenario version and what the run produced."""
    assert status.ivr is not None  # noqa: S101 - decode_ivr_status keeps IVR events only
    ivr = status.ivr
    body = {
        "eventId": status.event_id,
        "callId": status.call_id,
        "type": ivr.type.value,
        "scenarioId": ivr.scenario_id,
        "scenarioVersion": ivr.scenario_version,
        "from": status.from_,
        "to": status.to,
        "timestamp": status.occurred_at.isoformat(),
        "actionId": ivr.action_id,
        "variable": ivr.variable,
        "dtmf": ivr.dtmf,
        "recordingUrl": ivr.recording_url,
        "durationSeconds": ivr.duration_seconds,
        "reason": ivr.reason,
    }
    return {k: v for k, v in body.items() if v is not None}


@dataclass(frozen=True)
class DeliveryPolicy:
    connect_timeout: float = 2.0
    budget: float = 5.0
    max_attempts: int = 8
    first_backoff: float = 1.0
    max_backoff: float = 600.0
    batch: int = 50

    def backoff(self, attempts: int) -> timedelta:
        """Exponential with full jitter: the n-th retry waits up to first * 2^(n-1) seconds."""
        ceiling = min(self.max_backoff, self.first_backoff * 2 ** max(0, attempts - 1))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter


class IvrNotifications:
    def __init__(
        self,
        queue: AsyncCollection[Document],
        scenarios: AsyncCollection[Document],
        sender: WebhookSender,
        policy: DeliveryPolicy,
    ) -> None:
        self._queue = queue
        self._scenarios = scenarios
        self._sender = sender
        self._policy = policy

    async def ensure_indexes(self) -> None:
        await self._queue.create_index(
            [("state", ASCENDING), ("nextAttemptAt", ASCENDING)], name="due"
        )

    async def on_status(self, status: CallStatus | None) -> None:
        """Queue the event when its scenario has a notifyUrl; nothing else happens here."""
        if status is None or status.ivr is None:
            return
        scenario = await self._scenarios.find_one(
            {"_id": status.ivr.scenario_id, "deleted": {"$ne": True}},
            {"accountId": 1, "notifyUrl": 1, "notifyContentType": 1},
        )
        if scenario is None or not scenario.get("notifyUrl"):
            return
        at = datetime.now(UTC)
        # A re-delivered status is queued already.
        with contextlib.suppress(DuplicateKeyError):
            await self._queue.insert_one(
                {
                    "_id": status.event_id,
                    "scenarioId": status.ivr.scenario_id,
                    "accountId": scenario["accountId"],
                    "callId": status.call_id,
                    "payload": notification(status),
                    "state": PENDING,
                    "attempts": 0,
                    "nextAttemptAt": at,
                    "queuedAt": at,
                }
            )

    async def deliver_due(self) -> int:
        """One pass: claim up to `batch` due deliveries and attempt them concurrently."""
        claimed: list[Document] = []
        for _ in range(self._policy.batch):
            at = datetime.now(UTC)
            doc = await self._queue.find_one_and_update(
                {"state": PENDING, "nextAttemptAt": {"$lte": at}},
                {"$set": {"nextAttemptAt": at + CLAIM}},
            )
            if doc is None:
                break
            claimed.append(doc)
        await asyncio.gather(*(self._attempt(doc) for doc in claimed))
        await self._queue.delete_many(
            {"state": FAILED, "failedAt": {"$lt": datetime.now(UTC) - KEEP_FAILED}}
        )
        return len(claimed)

    async def _attempt(self, doc: Document) -> None:
        # Read per attempt: a changed URL, content type or a deleted scenario applies to retries.
        scenario = await self._scenarios.find_one(
            {"_id": doc["scenarioId"], "accountId": doc["accountId"], "deleted": {"$ne": True}}
        )
        if scenario is None or not scenario.get("notifyUrl"):
            await self._queue.delete_one({"_id": doc["_id"]})
            return
        secret = scenario.get(SECRET_FIELD)
        try:
            await self._sender.post(
                scenario["notifyUrl"],
                doc["payload"],
                customer=doc["accountId"],
                signing=SigningKey(scenario["_id"], secret) if secret else None,
                connect_timeout=self._policy.connect_timeout,
                budget=self._policy.budget,
                expect_json=False,
                content_type=scenario.get("notifyContentType") or JSON,
            )
        except (WebhookError, ValueError) as exc:
            await self._failed(doc, str(exc))
            return
        await self._queue.delete_one({"_id": doc["_id"]})

    async def _failed(self, doc: Document, reason: str) -> None:
        attempts = int(doc["attempts"]) + 1
        at = datetime.now(UTC)
        if attempts >= self._policy.max_attempts:
            logger.warning(
                "IVR notification %s for call %s dropped after %d attempts: %s",
                doc["_id"],
                doc["callId"],
                attempts,
                reason,
            )
            update: Document = {"state": FAILED, "failedAt": at}
        else:
            update = {"nextAttemptAt": at + self._policy.backoff(attempts)}
        await self._queue.update_one(
            {"_id": doc["_id"]}, {"$set": {**update, "attempts": attempts, "lastError": reason}}
        )
