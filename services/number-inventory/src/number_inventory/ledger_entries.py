"""Where ledger entries are kept: a small repository, so the ledger's rules run against an
in-memory fake in unit tests and against MongoDB in the service."""

from __future__ import annotations

from typing import Protocol

from faststream.kafka import KafkaBroker
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from callplane_shared import outbox
from callplane_shared.mongo import Document


class LedgerEntries(Protocol):
    async def last(self, account_id: str) -> Document | None: ...

    async def with_reference(self, account_id: str, reference: str) -> Document | None: ...

    async def insert(self, entry: Document) -> bool:
        """False when an entry with the same id exists (another movement took the sequence)."""
        ...

    async def publish_pending(self, entry_id: str) -> None: ...


class MongoLedgerEntries:
    def __init__(self, collection: AsyncCollection[Document], broker: KafkaBroker) -> None:
        self._entries = collection
        self._broker = broker

    async def last(self, account_id: str) -> Document | None:
        cursor = self._entries.find({"accountId": account_id}).sort("seq", DESCENDING).limit(1)
        found = await cursor.to_list()
        return found[0] if found else None

    async def with_reference(self, account_id: str, reference: str) -> Document | None:
        return await self._entries.find_one({"accountId": account_id, "reference": reference})

    async def insert(self, entry: Document) -> bool:
        try:
            await self._entries.insert_one(entry)
        except DuplicateKeyError:
            return False
        return True

    async def publish_pending(self, entry_id: str) -> None:
        await outbox.flush_after_commit(self._broker, self._entries, {"_id": entry_id})
