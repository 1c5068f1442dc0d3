"""Rating a finished leg and publishing its charge, once per call.

The charge is written onto the call's record together with its pending `CallCharged` (one
atomic update, only if the record has no charge yet), then published, and only then is the
offset of the event that caused it committed. A crash before the write re-delivers the event,
which rates the same record to the same charge; a crash after it re-delivers the event too, and
settling finds the pending charge and publishes it. Kafka's re-delivery is the relay, so no
process scans the records for pending events. Whatever reaches Kafka twice carries the same
`eventId`, and number-inventory applies a callId once (its ledger reference), so the ledger
sees one debit per call.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from faststream.kafka import KafkaBroker

from call_records.domain.call_log import (
    answered_duration,
    latest_decision,
    leg_destination,
    leg_name,
)
from call_records.domain.rating import PriceList, choose_price, rate
from call_records.overrides import PriceOverrides
from call_records.records import Document, RecordStore
from callplane_shared import outbox
from callplane_shared.auth import AccountDirectory
from callplane_shared.events import CallCharged, utc_now
from callplane_shared.metrics import CALL_CHARGED_AMOUNT, CALL_CHARGES
from callplane_shared.topics import CALLS_CHARGES

logger = logging.getLogger(__name__)
PENDING_FIELD = "chargePending"
SETTLE_CONCURRENCY = 1
T = TypeVar("T")
OverrideOf = Callable[[str], Awaitable[PriceList | None]]


def charge_event_id(call_id: str) -> str:
    return hashlib.blake2b(f"charge:{call_id}".encode(), digest_size=16).hexdigest()


def charge_of(doc: Document, outcome: CallCharged) -> Document:
    """The charge as the record (and the customer's CallLog) keeps it."""
    return {
        "status": "CHARGED",
        "amount": str(outcome.amount),
        "currency": outcome.currency,
        "leg": leg_name(latest_decision(doc) or {}),
        "destination": outcome.destination,
        "prefix": outcome.prefix,
        "pricePerMinute": str(outcome.price_per_minute),
        "billingIncrement": outcome.billing_increment,
        "connectionFee": str(outcome.connection_fee),
        "durationSeconds": outcome.duration_seconds,
        "billedSeconds": outcome.billed_seconds,
        "chargedAt": outcome.occurred_at,
    }


@dataclass(frozen=True)
class Unrated:
    reason: str


class Charger:
    def __init__(
        self,
        store: RecordStore,
        prices: PriceList,
        overrides: PriceOverrides,
        accounts: AccountDirectory,
        broker: KafkaBroker,
    ) -> None:
        self._store = store
        self._prices = prices
        self._overrides = overrides
        self._accounts = accounts
        self._broker = broker
        # One call at a time, like the writes (see `RecordStore.apply`): FerretDB 1.24 stalled
        # under many concurrent operations of one consumer on this machine.
        self._concurrency = asyncio.Semaphore(SETTLE_CONCURRENCY)

    async def settle(self, call_ids: Iterable[str]) -> None:
        """Rate each call if it is a finished, answered, chargeable leg not charged yet, and
        publish every charge that is written but not acknowledged by Kafka yet. One read per
        call by `_id` (concurrent), an override read per account, writes only for charges."""
        unique = list(dict.fromkeys(call_ids))
        docs = await asyncio.gather(
            *(self._bounded(self._store.calls.find_one({"_id": c})) for c in unique)
        )
        prices: dict[str, asyncio.Task[PriceList | None]] = {}

        def override(account_id: str) -> asyncio.Task[PriceList | None]:
            if account_id not in prices:
                prices[account_id] = asyncio.ensure_future(self._overrides.get(account_id))
            return prices[account_id]

        await asyncio.gather(
            *(self._bounded(self._settle(doc, override)) for doc in docs if doc is not None)
        )

    async def _bounded(self, work: Awaitable[T]) -> T:
        async with self._concurrency:
            return await work

    async def _settle(self, doc: Document, override: OverrideOf) -> None:
        call_id = doc["_id"]
        if doc.get(outbox.OUTBOX_FIELD):
            # Staged by a version that charged through the records' outbox: publish it now.
            await outbox.flush(self._broker, self._store.calls, {"_id": call_id})
        if doc.get(PENDING_FIELD):
            await self._publish(call_id, doc[PENDING_FIELD])
            return
        if doc.get("charge") is not None or "FINISHED" not in (doc.get("states") or {}):
            return
        outcome = await self._rate(doc, override)
        if outcome is None:
            return
        if isinstance(outcome, Unrated):
            logger.warning("call %s not rated: %s", call_id, outcome.reason)
            await self._store.calls.update_one(
                {"_id": call_id, "charge": {"$exists": False}},
                {"$set": {"charge": {"status": "UNRATED", "reason": outcome.reason}}},
            )
            CALL_CHARGES.labels("unrated").inc()
            return
        pending = outbox.outbox_entry(CALLS_CHARGES.name, call_id, outcome)
        written = await self._store.calls.update_one(
            {"_id": call_id, "charge": {"$exists": False}},
            {"$set": {"charge": charge_of(doc, outcome), PENDING_FIELD: pending}},
        )
        if written.modified_count == 1:
            CALL_CHARGES.labels("charged").inc()
            CALL_CHARGED_AMOUNT.labels(outcome.currency).inc(float(outcome.amount))
            await self._publish(call_id, pending)
        # Otherwise another consumer (the call's decision and its FINISHED status arrive on two
        # topics) charged it first and publishes it; if it dies first, its record comes again.

    async def _publish(self, call_id: str, pending: Document) -> None:
        """Publish the staged charge, then drop it from the record. Until Kafka acknowledged it
        the offset of the event that caused it is not committed, so a crash re-delivers that
        event, and settling it again publishes the same charge (same `eventId`)."""
        await outbox.publish_entries(self._broker, [pending])
        await self._store.calls.update_one({"_id": call_id}, {"$unset": {PENDING_FIELD: ""}})

    async def _rate(self, doc: Document, override: OverrideOf) -> CallCharged | Unrated | None:
        decision = latest_decision(doc)
        account_id = doc.get("accountId")
        if decision is None or account_id is None or leg_name(decision) is None:
            return None  # not decided yet, or nothing we pay for (IVR, rejected, ...)
        duration = answered_duration(doc)
        if duration <= 0:
            return None  # never answered: no charge
        destination = leg_destination(doc, decision)
        if destination is None:
            return Unrated("the leg has no phone destination to price")
        found = choose_price(destination, await override(account_id), self._prices)
        if found is None:
            return Unrated(f"no price for destination {destination}")
        entry, currency = found
        account = self._accounts.get(account_id)
        if account is not None and account.currency != currency:
            return Unrated(f"price in {currency}, account in {account.currency}")
        rated = rate(duration, entry, currency)
        return CallCharged(
            event_id=charge_event_id(doc["_id"]),
            occurred_at=utc_now(),
            call_id=doc["_id"],
            account_id=account_id,
            amount=rated.amount,
            currency=currency,
            destination=destination,
            prefix=entry.prefix,
            price_per_minute=entry.per_minute,
            billing_increment=entry.increment,
            connection_fee=entry.connection_fee,
            duration_seconds=rated.duration_seconds,
            billed_seconds=rated.billed_seconds,
        )
