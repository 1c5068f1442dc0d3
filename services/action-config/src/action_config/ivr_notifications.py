"""IVR run events from the edge (`calls.status` with `ivr` set) delivered to the scenario's
`notifyUrl`, in its `notifyContentType`, signed with the scenario's secret, retried with backoff.

The consumer only queues: one delivery per event in `action_ivr_notifications` (the shared
`DeliveryQueue`; `_id` is the status event's id, so a re-delivered record queues nothing twice),
then commits. The shared `DeliveryWorker` claims due deliveries (one holder at a time), and
`send` posts them through the shared `WebhookSender` (address guards, per-account admission,
deadline). After `max_attempts` a delivery is kept as `dead_letter` for a day, for operators.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from action_config.ivr_scenarios import scenario_secret
from action_config.store import Collections
from callplane_shared.events import CallStatus
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
from callplane_shared.webhooks.sender import JSON

logger = logging.getLogger(__name__)

_IVR_MARKER = b'"ivr"'
KEEP_FINISHED = timedelta(days=1)


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


def policy(*, budget: float, max_attempts: int, per_account: int) -> QueuePolicy:
    return QueuePolicy(
        connect_timeout=2.0,
        budget=budget,
        max_attempts=max_attempts,
        max_backoff=600.0,
        poll_seconds=1.0,
        per_account=per_account,
        keep_finished=KEEP_FINISHED,
    )


class IvrNotifications:
    def __init__(
        self,
        collections: Collections,
        sender: WebhookSender,
        rules: QueuePolicy,
        supervisor: Supervisor,
        cipher: CredentialCipher,
    ) -> None:
        self.deliveries = DeliveryQueue(collections.ivr_notifications)
        self._cipher = cipher
        self._scenarios = collections.ivr_scenarios
        self._sender = sender
        self._policy = rules
        self.worker = DeliveryWorker(
            "ivr-notifications", self.deliveries, self._send, rules, supervisor
        )

    async def ensure_indexes(self) -> None:
        await self.deliveries.ensure_indexes()
        # Deliveries queued before the shared queue spelled their states in capitals.
        collection = self.deliveries.collection
        await collection.update_many({"state": "PENDING"}, {"$set": {"state": "pending"}})
        await collection.update_many({"state": "FAILED"}, {"$set": {"state": "dead_letter"}})

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
        await self.deliveries.enqueue(
            status.event_id,
            account=scenario["accountId"],
            payload=notification(status),
            scenarioId=status.ivr.scenario_id,
            callId=status.call_id,
        )

    async def _send(self, doc: Document) -> None:
        # Read per attempt: a changed URL, content type or a deleted scenario applies to retries.
        scenario = await self._scenarios.find_one(
            {"_id": doc["scenarioId"], "accountId": doc["accountId"], "deleted": {"$ne": True}}
        )
        if scenario is None or not scenario.get("notifyUrl"):
            raise UndeliverableError("the scenario or its notifyUrl was removed")
        secret = scenario_secret(scenario, self._cipher)
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
