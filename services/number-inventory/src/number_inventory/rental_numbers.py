"""Where the rental's view of leased numbers is kept: the `rental` sub-document of each number
(a cursor of paid periods, the status customers see), behind a small repository so the rental
rules run against a fake in unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared import outbox
from callplane_shared.mongo import Document
from number_inventory.store import freed_number

LEASED = "LEASED"


class RentalNumbers(Protocol):
    def due(self, now: datetime) -> AsyncIterator[Document]:
        """Leased numbers whose next period has started, or whose rental is not yet tracked."""
        ...

    async def still_leased(self, number_key: str, leased_at: datetime) -> bool: ...

    async def set_rental(self, number_key: str, leased_at: datetime, rental: Document) -> None:
        """Only while the same lease holds the number (a new lease starts a new rental)."""
        ...

    async def free(self, number: Document) -> None:
        """Back to the pool, as a customer's release does (the event is the caller's)."""
        ...


class MongoRentalNumbers:
    def __init__(
        self, numbers: AsyncCollection[Document], claims: AsyncCollection[Document]
    ) -> None:
        self._numbers = numbers
        self._claims = claims

    async def due(self, now: datetime) -> AsyncIterator[Document]:
        query = {
            "leaseState": LEASED,
            "$or": [{"rental.dueAt": {"$lte": now}}, {"rental": {"$exists": False}}],
        }
        async for doc in self._numbers.find(query, {outbox.OUTBOX_FIELD: 0}):
            yield doc

    async def still_leased(self, number_key: str, leased_at: datetime) -> bool:
        found = await self._numbers.find_one(
            {"_id": number_key, "leaseState": LEASED, "leasedAt": leased_at}, {"_id": 1}
        )
        return found is not None

    async def set_rental(self, number_key: str, leased_at: datetime, rental: Document) -> None:
        await self._numbers.update_one(
            {"_id": number_key, "leaseState": LEASED, "leasedAt": leased_at},
            {"$set": {"rental": rental}},
        )

    async def free(self, number: Document) -> None:
        # Claim first: a crash after it leaves a leased document that the next pass frees
        # again, never an orphaned claim the purchase sweeper would take for a lost purchase.
        await self._claims.delete_one({"_id": number["_id"], "claimId": number.get("claimId")})
        await self._numbers.update_one(
            {
                "_id": number["_id"],
                "accountId": number["accountId"],
                "leasedAt": number["leasedAt"],
            },
            freed_number(),
        )
