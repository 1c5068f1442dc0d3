"""Leasing and releasing pool numbers.

A purchase claims the number first, then debits the balance. If the debit is refused the claim
is undone, so money is never taken without a number, and a number is never handed out without
payment. The claim is an insert into `inventory_number_claims` with the numberKey as id: of
accounts racing for a number exactly one insert succeeds, on FerretDB (whose conditional updates
are not atomic under concurrency) as on MongoDB. The claim lives as long as the lease; the
number's document mirrors the owner for reads and searches and is written only by the holder.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from faststream.kafka import KafkaBroker
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from callplane_shared import outbox
from callplane_shared.events import NumberLeased, NumberReleased
from callplane_shared.mongo import Document
from callplane_shared.topics import NUMBERS_LIFECYCLE
from number_inventory.accounts import Accounts
from number_inventory.domain.money import format_units
from number_inventory.domain.pool import Capability, InvalidNumberError
from number_inventory.domain.search import Page, available_filter, owned_filter
from number_inventory.ledger import Ledger, Movement, Refused
from number_inventory.store import Collections, freed_number, now

LEASED = "LEASED"
PENDING = "PENDING"


class NumberNotFoundError(LookupError):
    pass


class NumberTakenError(RuntimeError):
    pass


class CurrencyMismatchError(ValueError):
    pass


class ClaimLostError(RuntimeError):
    """The sweeper freed this purchase's claim while it was still running; refunded."""


def purchase_reference(claim_id: str) -> str:
    return f"purchase:{claim_id}"


def purchase_refund_reference(claim_id: str) -> str:
    return f"purchase-refund:{claim_id}"


@dataclass(frozen=True)
class InsufficientFundsError(RuntimeError):
    cost: int
    balance: int
    currency: str

    @property
    def missing(self) -> int:
        return self.cost - self.balance

    def __str__(self) -> str:
        return (
            f"Insufficient balance: the number costs {format_units(self.cost, self.currency)} "
            f"(setupPrice + initialMonthPrice), the balance is "
            f"{format_units(self.balance, self.currency)}; top up at least "
            f"{format_units(self.missing, self.currency)} with POST /account/1/payments."
        )


async def refund_purchase(ledger: Ledger, account_id: str, cost: int, claim_id: str) -> None:
    """Once per claim, whoever notices first (the purchase itself or the sweeper)."""
    await ledger.apply(
        account_id, cost, Movement.PURCHASE_REFUND, purchase_refund_reference(claim_id)
    )


def _lifecycle(
    event_type: type[NumberLeased | NumberReleased], doc: Document, account_id: str
) -> NumberLeased | NumberReleased:
    return event_type(
        number_key=doc["_id"],
        number=doc["number"],
        account_id=account_id,
        capabilities=list(doc["capabilities"]),
        type=doc["type"],
        country=doc["country"],
    )


class Leasing:
    def __init__(self, collections: Collections, broker: KafkaBroker, accounts: Accounts) -> None:
        self._c = collections
        self._broker = broker
        self._accounts = accounts

    async def search_available(
        self, capabilities: list[Capability], country: str | None, number: str | None, page: Page
    ) -> tuple[list[Document], int]:
        query = available_filter(capabilities, country, number)
        return await self._page(query, page)

    async def list_owned(
        self, account_id: str, number: str | None, page: Page
    ) -> tuple[list[Document], int]:
        return await self._page(owned_filter(account_id, number), page)

    async def _page(self, query: Document, page: Page) -> tuple[list[Document], int]:
        cursor = (
            self._c.numbers.find(query, {outbox.OUTBOX_FIELD: 0})
            .sort("number", ASCENDING)
            .skip(page.skip)
            .limit(page.limit)
        )
        docs = await cursor.to_list()
        return docs, await self._c.numbers.count_documents(query)

    async def count_owned(self, account_id: str) -> int:
        """Leased and pending numbers of the account (for its `numbers` quota)."""
        return await self._c.claims.count_documents({"accountId": account_id})

    async def owned(self, account_id: str, number_key: str) -> Document:
        """Another account's number is 'not found', never 'forbidden': its existence is not
        the caller's business."""
        doc = await self._c.numbers.find_one(
            {"_id": number_key, "accountId": account_id, "leaseState": LEASED},
            {outbox.OUTBOX_FIELD: 0},
        )
        if doc is None:
            raise NumberNotFoundError(number_key)
        return doc

    async def _find_for_purchase(self, number_key: str | None, e164: str | None) -> Document:
        query: Document = {"_id": number_key} if number_key else {"number": e164}
        doc = await self._c.numbers.find_one(query, {outbox.OUTBOX_FIELD: 0})
        if doc is None:
            raise NumberNotFoundError(number_key or e164 or "")
        return doc

    async def purchase(
        self,
        account_id: str,
        *,
        number_key: str | None,
        e164: str | None,
        application_id: str | None,
        entity_id: str | None,
    ) -> Document:
        if not (number_key or e164):
            raise InvalidNumberError("give numberKey or number")
        doc = await self._find_for_purchase(number_key, e164)
        account = await self._accounts.get(account_id)
        if doc["currency"] != account["currency"]:
            raise CurrencyMismatchError(
                f"the number is priced in {doc['currency']}, the account pays in "
                f"{account['currency']}"
            )
        cost = doc["setupPrice"] + doc["initialMonthPrice"]
        claim_id = uuid.uuid4().hex
        try:
            await self._c.claims.insert_one(
                {"_id": doc["_id"], "accountId": account_id, "claimId": claim_id, "at": now()}
            )
        except DuplicateKeyError as exc:
            raise NumberTakenError(doc["_id"]) from exc
        await self._c.numbers.update_one(
            {"_id": doc["_id"]},
            {"$set": {"accountId": account_id, "leaseState": PENDING, "claimId": claim_id}},
        )
        debit = await self._accounts.ledger.apply(
            account_id, -cost, Movement.NUMBER_PURCHASE, purchase_reference(claim_id)
        )
        if isinstance(debit, Refused):
            await self._unclaim(doc["_id"], claim_id)
            raise InsufficientFundsError(cost=cost, balance=debit.balance, currency=debit.currency)
        event = _lifecycle(NumberLeased, doc, account_id)
        leased = await self._c.numbers.update_one(
            {"_id": doc["_id"], "claimId": claim_id},
            {
                "$set": {
                    "leaseState": LEASED,
                    "leasedAt": now(),
                    "applicationId": application_id,
                    "entityId": entity_id,
                },
                "$push": outbox.push(
                    outbox.outbox_entry(NUMBERS_LIFECYCLE.name, doc["_id"], event)
                ),
            },
        )
        if leased.matched_count != 1:
            # The sweeper judged this purchase dead and freed the number: give the money back.
            await refund_purchase(self._accounts.ledger, account_id, cost, claim_id)
            raise ClaimLostError(doc["_id"])
        await outbox.flush_after_commit(self._broker, self._c.numbers, {"_id": doc["_id"]})
        return await self.owned(account_id, doc["_id"])

    async def _unclaim(self, number_key: str, claim_id: str) -> None:
        """Mirror first, claim last: while the claim exists nobody else writes the number."""
        await self._c.numbers.update_one(
            {"_id": number_key, "claimId": claim_id},
            {"$set": {"accountId": None, "leaseState": None}, "$unset": {"claimId": ""}},
        )
        await self._c.claims.delete_one({"_id": number_key, "claimId": claim_id})

    async def update(
        self, account_id: str, number_key: str, application_id: str, entity_id: str | None
    ) -> Document:
        result = await self._c.numbers.update_one(
            {"_id": number_key, "accountId": account_id, "leaseState": LEASED},
            {"$set": {"applicationId": application_id, "entityId": entity_id}},
        )
        if result.matched_count != 1:
            raise NumberNotFoundError(number_key)
        return await self.owned(account_id, number_key)

    async def release(self, account_id: str, number_key: str) -> None:
        """Back to the pool. No refund: the month already started, as with Infobip."""
        doc = await self.owned(account_id, number_key)
        event = _lifecycle(NumberReleased, doc, account_id)
        result = await self._c.numbers.update_one(
            {"_id": number_key, "accountId": account_id, "leaseState": LEASED},
            {
                **freed_number(),
                "$push": outbox.push(
                    outbox.outbox_entry(NUMBERS_LIFECYCLE.name, number_key, event)
                ),
            },
        )
        if result.modified_count != 1:
            raise NumberNotFoundError(number_key)
        await outbox.flush_after_commit(self._broker, self._c.numbers, {"_id": number_key})
        await self._c.claims.delete_one({"_id": number_key, "accountId": account_id})
