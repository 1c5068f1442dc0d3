"""The collection of call records: one document per callId, built by independent writes.

What each event writes is `record_updates` (pure); here a batch of them becomes one bulk write.
Records expire through a TTL index on `expireAt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure

from call_records.record_updates import (
    RecordUpdate,
    decision_update,
    inbound_update,
    merge,
    state_key,
    status_update,
)
from callplane_shared.events import CallDecision, CallStatus, InboundCall, utc_now

Document = dict[str, Any]
_NOT_IMPLEMENTED = 238


@dataclass(frozen=True)
class HistoryFilter:
    """Infobip's call-history filters (all optional)."""

    type: str | None = None
    calls_configuration_id: str | None = None
    from_: str | None = None
    to: str | None = None
    direction: str | None = None
    status: str | None = None
    start_time_after: datetime | None = None
    start_time_before: datetime | None = None

    def query(self, account_id: str) -> Document:
        query: Document = {"accountId": account_id}
        exact = {
            "endpointType": self.type,
            "callsConfigurationId": self.calls_configuration_id,
            "from": self.from_,
            "to": self.to,
            "stateKey": None if self.status is None else state_key(self.status),
        }
        query.update({k: v for k, v in exact.items() if v is not None})
        if self.direction is not None and self.direction != "INBOUND":
            query["direction"] = self.direction  # nothing matches: every record is inbound
        window: Document = {}
        if self.start_time_after is not None:
            window["$gt"] = self.start_time_after
        if self.start_time_before is not None:
            window["$lt"] = self.start_time_before
        if window:
            query["startTime"] = window
        return query


class RecordStore:
    def __init__(
        self, client: AsyncMongoClient[Document], database: str, retention: timedelta
    ) -> None:
        self.calls: AsyncCollection[Document] = client[database]["records_calls"]
        self.overrides: AsyncCollection[Document] = client[database]["records_price_overrides"]
        self._retention = retention

    async def ensure_indexes(self) -> bool:
        """Create the indexes; False when the server has no TTL indexes (then `expire` must
        run periodically: FerretDB 1.24 answers NotImplemented, MongoDB expires by itself)."""
        await self.calls.create_index(
            [("accountId", ASCENDING), ("startTime", DESCENDING)], name="account_start"
        )
        try:
            await self.calls.create_index("expireAt", expireAfterSeconds=0, name="retention_ttl")
        except OperationFailure as exc:
            if exc.code != _NOT_IMPLEMENTED:
                raise
            await self.calls.create_index("expireAt", name="retention")
            return False
        return True

    async def expire(self) -> int:
        """Delete the records whose retention ended (where the server cannot do it itself)."""
        result = await self.calls.delete_many({"expireAt": {"$lt": utc_now()}})
        return result.deleted_count

    def _update(self, update: RecordUpdate) -> Document:
        now = utc_now()
        return {
            "$set": update.fields,
            "$max": {"stateKey": update.state_key},
            "$setOnInsert": {"createdAt": now, "expireAt": now + self._retention},
        }

    async def apply(self, updates: Sequence[RecordUpdate]) -> None:
        """Write a batch of events' updates: merged to one upsert per call
        (`record_updates.merge`), each by `_id` alone (FerretDB answers a filter on anything
        else, `$in` included, by scanning the collection), one after the other. Not a
        `bulk_write`: FerretDB 1.24 (SQLite) stopped answering every query, reads included,
        twice after minutes of concurrent bulk upserts on this machine; the cause is not
        diagnosed, so the writes stay the single-document updates it is known to sustain."""
        for update in merge(updates):
            await self._upsert(update)

    async def _upsert(self, update: RecordUpdate) -> None:
        doc = self._update(update)
        try:
            await self.calls.update_one({"_id": update.call_id}, doc, upsert=True)
        except DuplicateKeyError:
            # Two first writes of one call (another topic's consumer) raced to insert; the
            # loser's document exists now, so the same update applies to it.
            await self.calls.update_one({"_id": update.call_id}, doc)

    async def apply_inbound(self, call: InboundCall) -> None:
        await self.apply([inbound_update(call)])

    async def apply_decision(self, decision: CallDecision, trace: str | None) -> None:
        await self.apply([decision_update(decision, trace)])

    async def apply_status(self, status: CallStatus) -> None:
        await self.apply([status_update(status)])

    async def get(self, call_id: str) -> Document | None:
        return await self.calls.find_one({"_id": call_id}, {"_outbox": 0})

    async def get_for_account(self, account_id: str, call_id: str) -> Document | None:
        return await self.calls.find_one({"_id": call_id, "accountId": account_id}, {"_outbox": 0})

    async def history(
        self, account_id: str, where: HistoryFilter, page: int, size: int
    ) -> tuple[list[Document], int]:
        query = where.query(account_id)
        total = await self.calls.count_documents(query)
        cursor = (
            self.calls.find(query, {"_outbox": 0})
            .sort([("startTime", DESCENDING), ("_id", ASCENDING)])
            .skip(page * size)
            .limit(size)
        )
        return await cursor.to_list(), total
