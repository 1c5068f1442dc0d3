"""Where the numbers' voice state and its change history are kept: two small repositories, so
the voice use cases (If-Match, one action per number, lease/release) run against in-memory fakes
in unit tests and against MongoDB in the service.
Changes older than VOICE_HISTORY_RETENTION_DAYS are deleted by an hourly prune.

History is one document per change in its own collection (`action_voice_history`), never an
array inside the number's document: a number changed 20,000 times keeps a small document, so its
lease and release keep working. The number's document holds its `lastChange`, written in the same
atomic update as the new state; `HistoryStore.record` is idempotent by (number, version), so a
crash between the two writes is repaired by recording `lastChange` again on the next change or
history read.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Protocol

from faststream.kafka import KafkaBroker
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from callplane_shared import outbox
from callplane_shared.mongo import Document


def history_id(number_key: str, version: int) -> str:
    return f"{number_key}:{version:012d}"


class NumberStore(Protocol):
    async def get(self, number_key: str) -> Document | None: ...

    async def compare_and_set(
        self,
        number_key: str,
        expected_version: int | None,
        fields: Document,
        outbox_entries: list[Document],
    ) -> bool:
        """Set `fields` and stage the events if the stored version is `expected_version`
        (None: the number is not stored yet). False when someone changed it first."""
        ...

    async def publish(self, number_key: str) -> None: ...


class HistoryStore(Protocol):
    async def record(self, entry: Document) -> None: ...

    async def page(
        self, number_key: str, account_id: str, skip: int, limit: int
    ) -> tuple[list[Document], int]: ...


class MongoNumberStore:
    def __init__(self, collection: AsyncCollection[Document], broker: KafkaBroker) -> None:
        self._numbers = collection
        self._broker = broker

    async def get(self, number_key: str) -> Document | None:
        return await self._numbers.find_one({"_id": number_key}, {outbox.OUTBOX_FIELD: 0})

    async def compare_and_set(
        self,
        number_key: str,
        expected_version: int | None,
        fields: Document,
        outbox_entries: list[Document],
    ) -> bool:
        update: Document = {
            "$set": fields,
            "$push": outbox.push(*outbox_entries),
            # Numbers stored before history moved out carried it inline: drop it on next write.
            "$unset": {"history": ""},
        }
        if expected_version is None:
            try:
                result = await self._numbers.update_one(
                    {"_id": number_key, "version": {"$exists": False}}, update, upsert=True
                )
            except DuplicateKeyError:
                return False
            return result.upserted_id is not None or result.modified_count == 1
        result = await self._numbers.update_one(
            {"_id": number_key, "version": expected_version}, update
        )
        return result.modified_count == 1

    async def publish(self, number_key: str) -> None:
        await outbox.flush_after_commit(self._broker, self._numbers, {"_id": number_key})


class MongoHistoryStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._history = collection

    async def ensure_indexes(self) -> None:
        await self._history.create_index(
            [("numberKey", ASCENDING), ("accountId", ASCENDING), ("version", DESCENDING)],
            name="number_account_version",
        )
        await self._history.create_index([("changedAt", ASCENDING)], name="changed_at")

    async def prune(self, retention: timedelta) -> int:
        """Delete changes older than the retention. A periodic delete rather than a TTL index:
        FerretDB 1.24 does not implement `expireAfterSeconds`, and this works on both."""
        cutoff = datetime.now(UTC) - retention
        result = await self._history.delete_many({"changedAt": {"$lt": cutoff}})
        return result.deleted_count

    async def record(self, entry: Document) -> None:
        # A duplicate was recorded before (a repeat after a crash): the change is the same.
        with contextlib.suppress(DuplicateKeyError):
            await self._history.insert_one(entry)

    async def page(
        self, number_key: str, account_id: str, skip: int, limit: int
    ) -> tuple[list[Document], int]:
        query = {"numberKey": number_key, "accountId": account_id}
        cursor = self._history.find(query).sort("version", DESCENDING).skip(skip).limit(limit)
        return await cursor.to_list(), await self._history.count_documents(query)
