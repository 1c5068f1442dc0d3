"""The balance of an account is the last entry of its ledger.

Every movement appends an entry whose id is the account id plus the next sequence number, and
carries the balance after it. Two movements racing for the same sequence number cannot both be
inserted (the id is unique), so the loser re-reads and tries again: a compare-and-set built on
the one operation every MongoDB-wire server makes atomic. (FerretDB 1.24 does not make
conditional updates such as `{"balance": {"$gte": price}}` atomic under concurrency; we measured
concurrent debits all succeeding.) A debit that would take the balance below zero is refused,
so a balance never goes negative, and the ledger is the complete history by construction.

Every movement has a reference unique within the account (`payment:<id>`, `purchase:<claimId>`,
`call:<callId>`...): `apply` checks it after reading the last entry and before inserting the
next, so of two applies of one reference racing for a sequence number the loser re-reads, finds
the winner's entry and returns it. That makes every credit and charge happen once (invariant 9).

An entry that crosses the low-balance threshold carries its `BalanceLow` event in its outbox:
exactly one entry crosses per crossing, so the alert is published once per crossing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from callplane_shared import outbox
from callplane_shared.events import BalanceLow
from callplane_shared.mongo import Document
from callplane_shared.topics import ACCOUNTS_BALANCE
from number_inventory.domain.money import crossed_below, to_units
from number_inventory.ledger_entries import LedgerEntries
from number_inventory.store import now

MAX_ATTEMPTS = 500


class Movement(StrEnum):
    STARTING_BALANCE = "STARTING_BALANCE"
    TOP_UP = "TOP_UP"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    REFUND = "REFUND"
    NUMBER_PURCHASE = "NUMBER_PURCHASE"
    PURCHASE_REFUND = "PURCHASE_REFUND"
    CALL_CHARGE = "CALL_CHARGE"
    NUMBER_RENTAL = "NUMBER_RENTAL"
    # Zero-amount records of the rental's other steps (like PAYMENT_FAILED for payments).
    RENTAL_OVERDUE = "RENTAL_OVERDUE"
    RENTAL_RELEASE = "RENTAL_RELEASE"


class LedgerBusyError(RuntimeError):
    pass


class AccountHasNoLedgerError(LookupError):
    pass


@dataclass(frozen=True)
class Refused:
    """A debit the balance does not cover."""

    balance: int
    currency: str


@dataclass(frozen=True)
class Applied:
    entry: Document
    replayed: bool = False
    """True when the reference had been applied before: `entry` is that earlier entry, which
    may be of another movement (the caller decides whether that is a conflict)."""


def entry_id(account_id: str, seq: int) -> str:
    return f"{account_id}:{seq:012d}"


class Ledger:
    def __init__(self, entries: LedgerEntries, low_threshold: int) -> None:
        self._entries = entries
        self._threshold = low_threshold

    async def last(self, account_id: str) -> Document:
        found = await self._entries.last(account_id)
        if found is None:
            raise AccountHasNoLedgerError(account_id)
        return found

    async def balance(self, account_id: str) -> int:
        return int((await self.last(account_id))["balanceAfter"])

    async def with_reference(self, account_id: str, reference: str) -> Document | None:
        return await self._entries.with_reference(account_id, reference)

    async def open(self, account_id: str, currency: str, starting_balance: int) -> Document:
        entry = self._entry(
            account_id,
            0,
            movement=Movement.STARTING_BALANCE,
            amount=starting_balance,
            before=0,
            currency=currency,
            reference=f"open:{account_id}",
        )
        # A second open of the same account fails on the id; it is an error, not a retry.
        if not await self._entries.insert(entry):
            raise LedgerBusyError(f"account {account_id} already has a ledger")
        return entry

    async def apply(
        self,
        account_id: str,
        amount: int,
        movement: Movement,
        reference: str,
        *,
        events: Sequence[Document] = (),
    ) -> Applied | Refused:
        """Append `amount` (signed minor units) once per `reference`; a debit the balance does
        not cover is Refused. The one way money moves. `events` (outbox entries) ride in the
        entry itself, so they are published once per applied reference and never without it."""
        for _ in range(MAX_ATTEMPTS):
            last = await self.last(account_id)
            earlier = await self._entries.with_reference(account_id, reference)
            if earlier is not None:
                return Applied(entry=earlier, replayed=True)
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
            if events:
                entry[outbox.OUTBOX_FIELD] = [*entry.get(outbox.OUTBOX_FIELD, []), *events]
            if not await self._entries.insert(entry):
                continue  # another movement took this sequence number; re-read and retry
            if entry.get(outbox.OUTBOX_FIELD):
                await self._entries.publish_pending(entry["_id"])
            return Applied(entry=entry)
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
        reference: str,
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
