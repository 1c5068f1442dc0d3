"""Rating a finished leg and publishing its charge, once per call.

The charge is written onto the call's record together with its `CallCharged` event in the
record's outbox (one atomic update, only if the record has no charge yet), then published. A
crash before the publish leaves the event in the outbox for the relay; a crash before the write
re-delivers the status, which rates the same record to the same charge. Whatever reaches Kafka
twice carries the same `eventId`, and number-inventory applies a callId once (its ledger
reference), so the ledger sees one debit per call.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

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


def charge_event_id(call_id: str) -> str:
    return hashlib.blake2b(f"charge:{call_id}".encode(), digest_size=16).hexdigest()


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

    async def settle(self, call_id: str) -> None:
        """Rate the call if it is a finished, answered, chargeable leg not charged yet."""
        doc = await self._store.calls.find_one({"_id": call_id})
        if (
            doc is None
            or doc.get("charge") is not None
            or "FINISHED" not in (doc.get("states") or {})
        ):
            if doc is not None and doc.get("_outbox"):
                await outbox.flush(self._broker, self._store.calls, {"_id": call_id})
            return
        outcome = await self._rate(doc)
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
        charge = {
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
        written = await self._store.calls.update_one(
            {"_id": call_id, "charge": {"$exists": False}},
            {
                "$set": {"charge": charge},
                "$push": outbox.push(outbox.outbox_entry(CALLS_CHARGES.name, call_id, outcome)),
            },
        )
        if written.modified_count == 1:
            CALL_CHARGES.labels("charged").inc()
            CALL_CHARGED_AMOUNT.labels(outcome.currency).inc(float(outcome.amount))
        await outbox.flush(self._broker, self._store.calls, {"_id": call_id})

    async def _rate(self, doc: Document) -> CallCharged | Unrated | None:
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
        override = await self._overrides.get(account_id)
        found = choose_price(destination, override, self._prices)
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
