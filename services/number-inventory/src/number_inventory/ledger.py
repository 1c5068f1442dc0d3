"""The balance of an account is the last entry of its ledger.

Every movement appends an entry whose id is the account id plus the next sequence number, and
carries the balance after it. Two movements racing for the same sequence number cannot both be
inserted (the id is unique), so the loser re-reads and tries again: a compare-and-set built on
the one operation every MongoDB-wire server makes atomic. (FerretDB 1.24 does not make
conditional updates such as `{"balance": {"$gte": price}}` atomic under concurrency; we measured
concurrent debits all succeeding.) A debit that would take the balance below zero is refused,
so a balance never goes negative, and the ledger is the complete history by construction.

An entry that crosses the low-balance threshold carries its `BalanceLow` event in its outbox:
exactly one entry crosses per crossing, so the alert is published once per crossing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from faststream.kafka import KafkaBroker
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from callplane_shared import outbox
from callplane_shared.events import BalanceLow
from callplane_shared.mongo import Document
from callplane_shared.topics import ACCOUNTS_BALANCE
from number_inventory.domain.money import crossed_below, to_units
from number_inventory.store import now

MAX_ATTEMPTS = 500


class Movement(StrEnum):
    STARTING_BALANCE = "STARTING_BALANCE"
    TOP_UP = "TOP_UP"
    NUMBER_PURCHASE = "NUMBER_PURCHASE"


class LedgerBusyError(RuntimeError):
    pass


class AccountHasNoLedgerError(LookupError):
    pass


@dataclass(frozen=True)
class Refused:
    """A debit the balance does not cover."""

    balance: int
    currency: str


def entry_id(account_id: str, seq: int) -> str:
    return f"{account_id}:{seq:012d}"


class Ledger:
    def __init__(
        self, collection: AsyncCollection[Document], broker: KafkaBroker, low_threshold: int
    ) -> None:
        self._entries = collection
        self._broker = broker
        self._threshold = low_threshold

    async def last(self, account_id: str) -> Document:
        cursor = self._entries.find({"accountId": account_id}).sort("seq", DESCENDING).limit(1)
        found = await cursor.to_list()
        if not found:
            raise AccountHasNoLedgerError(account_id)
        return found[0]

    async def balance(self, account_id: str) -> int:
        return int((await self.last(account_id))["balanceAfter"])

    async def open(self, account_id: str, currency: str, starting_balance: int) -> Document:
        entry = self._entry(
            account_id,
            0,
            movement=Movement.STARTING_BALANCE,
            amount=starting_balance,
            before=0,
            currency=currency,
            reference=None,
        )
        # A second open of the same account fails on the id; it is an error, not a retry.
        await self._entries.insert_one(entry)
        return entry

    async def move(
        self, account_id: str, amount: int, movement: Movement, reference: str | None
    ) -> Document | Refused:
        """Append `amount` (signed minor units); a debit the balance does not cover is Refused."""
        for _ in range(MAX_ATTEMPTS):
            last = await self.last(account_id)
            before = int(last["balanceAfter"])
            if before + amount < 0:
                return Refused(balance=before, currency=last["currency"])
            entry = self._entry(
                account_id,
                int(last["seq"]) + 1,
                movement=movement,
                amount=amount,
                before=before,
                currency=last["currency"],
                reference=reference,
            )
            try:
                await self._entries.insert_one(entry)
            except DuplicateKeyError:
                continue  # another movement took this sequence number; re-read and retry
            if entry.get(outbox.OUTBOX_FIELD):
                await outbox.flush(self._broker, self._entries, {"_id": entry["_id"]})
            return entry
        raise LedgerBusyError(f"account {account_id} is too busy; try again")

    def _entry(
        self,
        account_id: str,
        seq: int,
        *,
        movement: Movement,
        amount: int,
        before: int,
        currency: str,
        reference: str | None,
    ) -> Document:
        after = before + amount
        entry: Document = {
            "_id": entry_id(account_id, seq),
            "accountId": account_id,
            "seq": seq,
            "movement": movement.value,
            "amount": amount,
            "balanceAfter": after,
            "currency": currency,
            "reference": reference,
            "createdAt": now(),
        }
        if seq > 0 and crossed_below(before, after, self._threshold):
            alert = BalanceLow(
                account_id=account_id,
                balance=to_units(after),
                threshold=to_units(self._threshold),
                currency=currency,
            )
            entry[outbox.OUTBOX_FIELD] = [
                outbox.outbox_entry(ACCOUNTS_BALANCE.name, account_id, alert)
            ]
        return entry
