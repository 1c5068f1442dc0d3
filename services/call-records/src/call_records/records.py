"""The collection of call records: one document per callId, built by independent writes.

Each event sets only its own part of the document (`$set` of its fields, upsert), so the three
topics can arrive in any order and any number of times: a duplicate sets the same values again.
The coarse state only moves forward (`$max` of its rank and name in the same update), so a late
RINGING never hides a FINISHED. Records expire through a TTL index on `expireAt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, OperationFailure

from call_records.domain.call_log import STATE_RANK
from callplane_shared.events import CallDecision, CallStatus, InboundCall, utc_now

Document = dict[str, Any]
_UNSAFE_KEY = re.compile(r"[.$]")
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

    async def _upsert(self, call_id: str, fields: Document, state: str) -> None:
        """Set this event's fields and move the coarse state forward, in one update by `_id`.

        `stateKey` is the state's rank followed by its name ("2RINGING", "5FINISHED"), so `$max`
        keeps the furthest state whatever order events arrive in, without a conditional update
        (FerretDB answers those in seconds; an update by `_id` alone in milliseconds)."""
        update = {
            "$set": fields,
            "$max": {"stateKey": state_key(state)},
            "$setOnInsert": {"createdAt": utc_now(), "expireAt": utc_now() + self._retention},
        }
        try:
            await self.calls.update_one({"_id": call_id}, update, upsert=True)
        except DuplicateKeyError:
            # Two first writes of one call raced to insert; the loser now updates.
            await self.calls.update_one({"_id": call_id}, update)

    async def apply_inbound(self, call: InboundCall) -> None:
        await self._upsert(
            call.call_id,
            {
                "from": call.from_,
                "to": call.to,
                "startTime": call.received_at,
                "endpoint": call.endpoint.model_dump(mode="json", by_alias=True, exclude_none=True),
                "endpointType": str(call.endpoint.type),
                "direction": "INBOUND",
                "inboundAt": call.occurred_at,
            },
            "CALLING",
        )

    async def apply_decision(self, decision: CallDecision, trace_id: str | None) -> None:
        instruction = decision.instruction.model_dump(mode="json", by_alias=True)
        entry = {
            "eventId": decision.event_id,
            "instruction": instruction,
            "actionType": None if decision.action_type is None else str(decision.action_type),
            "actionVersion": decision.action_version,
            "path": str(decision.path),
            "pathReason": decision.path_reason,
            "decidedBy": decision.decided_by,
            "receivedAt": decision.received_at,
            "decidedAt": decision.decided_at,
            "traceId": trace_id,
        }
        fields: Document = {
            f"decisions.{_UNSAFE_KEY.sub('_', decision.event_id)}": entry,
            "number": decision.number,
            "startTime": decision.received_at,
            "direction": "INBOUND",
        }
        if decision.account_id is not None:
            fields["accountId"] = decision.account_id
        if instruction.get("callsConfigurationId"):
            fields["callsConfigurationId"] = instruction["callsConfigurationId"]
        state = "FAILED" if instruction["kind"] == "reject" else "CALLING"
        await self._upsert(decision.call_id, fields, state)

    async def apply_status(self, status: CallStatus) -> None:
        state = str(status.state)
        entry = {
            "state": state,
            "occurredAt": status.occurred_at,
            "transferTo": status.transfer_to,
            "ringingAt": status.ringing_at,
            "answeredAt": status.answered_at,
            "endedAt": status.ended_at,
            "durationSeconds": status.duration_seconds,
            "hangupCause": status.hangup_cause,
        }
        fields: Document = {f"states.{state}": entry, "direction": "INBOUND"}
        await self._upsert(status.call_id, fields, state)

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


def state_key(state: str) -> str:
    return f"{STATE_RANK[state]}{state}"
