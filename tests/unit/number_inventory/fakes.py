"""In-memory repositories for number-inventory's use cases (the MongoDB ones in the service)."""

from __future__ import annotations

import asyncio
from typing import Any

Document = dict[str, Any]


class FakeLedgerEntries:
    def __init__(self) -> None:
        self.entries: dict[str, Document] = {}
        self.published: list[str] = []

    async def last(self, account_id: str) -> Document | None:
        await asyncio.sleep(0)  # let racing coroutines interleave, as real I/O does
        mine = [e for e in self.entries.values() if e["accountId"] == account_id]
        return max(mine, key=lambda e: e["seq"]) if mine else None

    async def with_reference(self, account_id: str, reference: str) -> Document | None:
        await asyncio.sleep(0)
        for entry in self.entries.values():
            if entry["accountId"] == account_id and entry["reference"] == reference:
                return entry
        return None

    async def insert(self, entry: Document) -> bool:
        await asyncio.sleep(0)
        if entry["_id"] in self.entries:
            return False
        self.entries[entry["_id"]] = dict(entry)
        return True

    async def publish_pending(self, entry_id: str) -> None:
        self.published.append(entry_id)

    def of(self, account_id: str) -> list[Document]:
        return sorted(
            (e for e in self.entries.values() if e["accountId"] == account_id),
            key=lambda e: e["seq"],
        )


class FakePaymentRecords:
    def __init__(self) -> None:
        self.payments: dict[str, Document] = {}

    async def insert(self, payment: Document) -> bool:
        if payment["_id"] in self.payments:
            return False
        self.payments[payment["_id"]] = dict(payment)
        return True

    async def get(self, payment_id: str) -> Document | None:
        found = self.payments.get(payment_id)
        return dict(found) if found else None

    async def set_fields(self, payment_id: str, fields: Document) -> None:
        self.payments[payment_id].update(fields)

    async def page(self, query: Document, skip: int, limit: int) -> tuple[list[Document], int]:
        found = [p for p in self.payments.values() if all(p.get(k) == v for k, v in query.items())]
        found.sort(key=lambda p: p["createdAt"], reverse=True)
        return found[skip : skip + limit], len(found)


class FakeRentalNumbers:
    """Leased numbers as the rental pass sees them (`rental_numbers.MongoRentalNumbers`)."""

    def __init__(self) -> None:
        self.numbers: dict[str, Document] = {}
        self.freed: list[str] = []

    async def due(self, now: Any) -> Any:
        for doc in list(self.numbers.values()):
            if doc.get("leaseState") != "LEASED":
                continue
            rental = doc.get("rental")
            if rental is None or rental["dueAt"] <= now:
                yield dict(doc)

    async def still_leased(self, number_key: str, leased_at: Any) -> bool:
        doc = self.numbers.get(number_key)
        return doc is not None and doc["leaseState"] == "LEASED" and doc["leasedAt"] == leased_at

    async def set_rental(self, number_key: str, leased_at: Any, rental: Document) -> None:
        if await self.still_leased(number_key, leased_at):
            self.numbers[number_key]["rental"] = dict(rental)

    async def free(self, number: Document) -> None:
        doc = self.numbers[number["_id"]]
        if (
            doc.get("accountId") == number["accountId"]
            and doc.get("leasedAt") == number["leasedAt"]
        ):
            doc.update(accountId=None, leaseState=None)
            doc.pop("leasedAt", None)
            doc.pop("rental", None)
            self.freed.append(number["_id"])
