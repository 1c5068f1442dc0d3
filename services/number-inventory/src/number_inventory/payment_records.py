"""Where payments are kept: one document per payment, `_id` = paymentId (repository + the
MongoDB implementation; unit tests use an in-memory fake)."""

from __future__ import annotations

from typing import Protocol

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from callplane_shared.mongo import Document


class PaymentRecords(Protocol):
    async def insert(self, payment: Document) -> bool:
        """False when a payment with this id exists."""
        ...

    async def get(self, payment_id: str) -> Document | None: ...

    async def set_fields(self, payment_id: str, fields: Document) -> None: ...

    async def page(self, query: Document, skip: int, limit: int) -> tuple[list[Document], int]: ...


class MongoPaymentRecords:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._payments = collection

    async def insert(self, payment: Document) -> bool:
        try:
            await self._payments.insert_one(payment)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, payment_id: str) -> Document | None:
        return await self._payments.find_one({"_id": payment_id})

    async def set_fields(self, payment_id: str, fields: Document) -> None:
        await self._payments.update_one({"_id": payment_id}, {"$set": fields})

    async def page(self, query: Document, skip: int, limit: int) -> tuple[list[Document], int]:
        cursor = self._payments.find(query).sort("createdAt", DESCENDING).skip(skip).limit(limit)
        return await cursor.to_list(), await self._payments.count_documents(query)
