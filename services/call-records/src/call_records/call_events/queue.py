"""The durable queue of call events (collection `records_call_events`, through the shared
`DeliveryQueue`): one delivery per event and subscription, inserted under an id derived from
both, so re-deriving the same events (any handler, any redelivery, after a kill -9) inserts
nothing twice. An event is accepted once its
document is written; the Kafka offset is committed only after that (invariant 3's discipline), so
nothing accepted is lost."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from call_records.call_events.domain import CallEvent, Target, call_events, matches
from call_records.subscriptions.store import SubscriptionStore
from callplane_shared.events import CallDecision
from callplane_shared.webhooks.queue import DeliveryQueue

Document = dict[str, Any]

_DELIVERY_IDS = uuid.UUID("0b8f5a52-1d0e-4f3a-a7c4-58e2d91f6c07")


def delivery_id(subscription_key: str, event_id: str) -> str:
    return uuid.uuid5(_DELIVERY_IDS, f"{subscription_key}/{event_id}").hex


def stream_of(subscription_key: str, call_id: str) -> str:
    """Events of one call to one subscription: delivered in order, one at a time."""
    return f"{subscription_key}/{call_id}"


def attempt_entry(doc: Document) -> Document:
    """What the customer's call history shows of one delivery."""
    return {
        "subscriptionId": doc["subscriptionId"],
        "eventId": doc["eventId"],
        "type": doc["type"],
        "sequence": doc["sequence"],
        "state": doc["state"],
        "attempts": doc.get("attempts", 0),
        "lastError": doc.get("lastError"),
        "lastAttemptAt": doc.get("lastAttemptAt"),
        "deliveredAt": doc.get("deliveredAt"),
    }


class CallEventQueue:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        records: AsyncCollection[Document],
        subscriptions: SubscriptionStore,
        per_account: int,
    ) -> None:
        self.deliveries = DeliveryQueue(client[database]["records_call_events"])
        # The decision's target per call, written by the decision handler alone (one insert):
        # the call record is written concurrently by three handlers, and events must not depend
        # on which of those writes a MongoDB-wire server without update isolation kept.
        self.calls: AsyncCollection[Document] = client[database]["records_call_event_calls"]
        self.records = records
        self._subscriptions = subscriptions
        self._per_account = per_account

    @property
    def events(self) -> AsyncCollection[Document]:
        return self.deliveries.collection

    async def ensure_indexes(self) -> None:
        await self.deliveries.ensure_indexes()
        await self.events.create_index([("callId", ASCENDING)], name="call")

    async def remember(self, decision: CallDecision) -> None:
        """Keep the target of a call decided to a calls configuration (idempotent)."""
        configuration = getattr(decision.instruction, "calls_configuration_id", None)
        if decision.account_id is None or configuration is None:
            return
        target = {
            "_id": decision.call_id,
            "accountId": decision.account_id,
            "callsConfigurationId": configuration,
            "receivedAt": decision.received_at,
        }
        with contextlib.suppress(DuplicateKeyError):  # the same decision again
            await self.calls.insert_one(target)

    async def sync(self, call_id: str) -> int:
        """Queue every event the call's record supports for every matching subscription; the
        number newly queued. Called after each write to the record, by every handler."""
        found = await self.calls.find_one({"_id": call_id})
        if found is None:
            return 0
        record = await self.records.find_one({"_id": call_id}, {"_outbox": 0})
        if record is None:
            return 0
        account = found["accountId"]
        target = Target(account, found["callsConfigurationId"], found["receivedAt"])
        events = call_events(record, target)
        configuration = target.calls_configuration_id
        subscriptions = await self._subscriptions.of_account(account, self._per_account)
        queued = 0
        for subscription in subscriptions:
            for event in events:
                if matches(subscription, configuration, event.type):
                    queued += await self._queue(subscription, call_id, event)
        return queued

    async def _queue(self, subscription: Document, call_id: str, event: CallEvent) -> int:
        queued = await self.deliveries.enqueue(
            delivery_id(subscription["_id"], event.event_id),
            account=subscription["accountId"],
            payload=event.body,
            stream=stream_of(subscription["_id"], call_id),
            sequence=event.sequence,
            subscriptionKey=subscription["_id"],
            subscriptionId=subscription["subscriptionId"],
            callId=call_id,
            eventId=event.event_id,
            type=event.type,
        )
        return int(queued)

    async def deliveries_of(self, account_id: str, call_id: str) -> list[Document]:
        """The call's deliveries for the customer's call history, in delivery order."""
        cursor = self.events.find({"callId": call_id, "accountId": account_id}).sort(
            [("subscriptionId", 1), ("sequence", 1)]
        )
        return [attempt_entry(doc) async for doc in cursor]
