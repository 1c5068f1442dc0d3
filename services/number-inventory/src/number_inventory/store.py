"""The collections number-inventory owns, and how a pool number is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared.mongo import Document
from number_inventory.domain.pool import PoolNumber, country_name


@dataclass(frozen=True)
class Collections:
    accounts: AsyncCollection[Document]
    numbers: AsyncCollection[Document]
    ledger: AsyncCollection[Document]
    payments: AsyncCollection[Document]
    claims: AsyncCollection[Document]

    @classmethod
    def of(cls, client: AsyncMongoClient[Document], database: str) -> Collections:
        db = client[database]
        return cls(
            accounts=db["inventory_accounts"],
            numbers=db["inventory_numbers"],
            ledger=db["inventory_ledger"],
            payments=db["inventory_payments"],
            claims=db["inventory_number_claims"],
        )

    async def ensure_indexes(self) -> None:
        # The unique index is what makes imports idempotent by number, even when two run at once.
        await self.numbers.create_index([("number", ASCENDING)], unique=True, name="number_unique")
        await self.numbers.create_index(
            [("accountId", ASCENDING), ("country", ASCENDING)], name="owner_country"
        )
        await self.ledger.create_index(
            [("accountId", ASCENDING), ("seq", ASCENDING)], name="account_seq"
        )
        # `Ledger.apply` looks a reference up before every movement.
        await self.ledger.create_index(
            [("accountId", ASCENDING), ("reference", ASCENDING)], name="account_reference"
        )
        await self.payments.create_index(
            [("accountId", ASCENDING), ("createdAt", ASCENDING)], name="account_created"
        )
        await self.payments.create_index(
            [("status", ASCENDING), ("createdAt", ASCENDING)], name="status_created"
        )
        await self.claims.create_index([("accountId", ASCENDING)], name="account")
        # The rental pass looks for leased numbers whose next period has started.
        await self.numbers.create_index(
            [("leaseState", ASCENDING), ("rental.dueAt", ASCENDING)], name="rental_due"
        )


def now() -> datetime:
    return datetime.now(UTC)


def number_document(number_key: str, number: PoolNumber) -> Document:
    return {
        "_id": number_key,
        "number": number.number,
        "digits": number.number.removeprefix("+"),
        "country": number.country,
        # Resolved once per import: the name lookup loads phonenumbers' geocoder (~4 s).
        "countryName": country_name(number.country),
        "type": number.type.value,
        "capabilities": [c.value for c in number.capabilities],
        "setupPrice": number.price.setup,
        "initialMonthPrice": number.price.initial_month,
        "pricePerMonth": number.price.per_month,
        "currency": number.price.currency,
        "network": number.network,
        "note": number.note,
        "accountId": None,
        "leaseState": None,
        "applicationId": None,
        "entityId": None,
        "importedAt": now(),
    }


def freed_number() -> Document:
    """The update fragment that returns a leased number to the pool (a release by its owner or
    for unpaid rental): no owner, no lease, no rental."""
    return {
        "$set": {"accountId": None, "leaseState": None, "applicationId": None, "entityId": None},
        # conversationsQueue: NumberReleased withdraws the caller ID; a new lease starts unmarked
        "$unset": {"claimId": "", "leasedAt": "", "rental": "", "conversationsQueue": ""},
    }
