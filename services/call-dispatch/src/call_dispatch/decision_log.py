"""The decision log: callId → decision, action version, latency and trace id, for support.

Written to MongoDB off the hot path: the dispatcher appends to an in-memory queue (no await, no
I/O) and a background task inserts in batches. The log is for answering "why did this call go
there?", not for delivery, so when MongoDB is slower than the call rate the queue is bounded and
the oldest entries are dropped (counted in `dropped`) instead of slowing decisions down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor

logger = logging.getLogger(__name__)

_DUPLICATE_KEY = 11000


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What the hot path hands over: fields it already holds, and the published payload as is
    (stored as a string, parsed only when an operator reads it)."""

    call_id: str
    outcome: str  # "decided" | "handed_to_masking"
    number: str
    account_id: str | None
    action_type: str | None
    action_version: int | None
    received_at: datetime
    decided_at: datetime
    latency_ms: float
    trace_id: str | None
    payload: bytes


def to_document(entry: LogEntry) -> Document:
    return {
        "_id": entry.call_id,
        "callId": entry.call_id,
        "outcome": entry.outcome,
        "number": entry.number,
        "accountId": entry.account_id,
        "actionType": entry.action_type,
        "actionVersion": entry.action_version,
        "receivedAt": entry.received_at,
        "decidedAt": entry.decided_at,
        "latencyMs": round(entry.latency_ms, 3),
        "traceId": entry.trace_id,
        "payload": entry.payload.decode(),
    }


def to_view(doc: Document) -> Document:
    """The operator's view of a stored entry: the published record as JSON, not a string."""
    view = {k: v for k, v in doc.items() if k not in {"_id", "payload"}}
    published = json.loads(doc.get("payload") or "null")
    view["maskingRequest" if doc.get("outcome") == "handed_to_masking" else "decision"] = published
    return view


class DecisionLog:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        supervisor: Supervisor,
        flush_seconds: float = 0.2,
        batch: int = 1000,
        queue_max: int = 200_000,
        enabled: bool = True,
    ) -> None:
        self._enabled = enabled
        self._collection = collection
        self._flush_seconds = flush_seconds
        self._batch = batch
        self._queue: deque[LogEntry] = deque(maxlen=queue_max)
        self._wake = asyncio.Event()
        self._supervisor = supervisor
        self.dropped = 0
        self.written = 0

    def record(self, entry: LogEntry) -> None:
        """Called on the hot path: O(1), never waits."""
        if not self._enabled:
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(entry)
        if len(self._queue) >= self._batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def start(self) -> None:
        self._supervisor.start("decision-log", self._run)

    async def stop(self) -> None:
        await self._supervisor.stop("decision-log")
        # Whatever is still queued is written once more before MongoDB closes.
        with contextlib.suppress(PyMongoError):
            while self._queue:
                await self.flush_once()

    async def find(self, call_id: str) -> Document | None:
        return await self._collection.find_one({"_id": call_id})

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._flush_seconds)
            self._wake.clear()
            try:
                while self._queue:
                    await self.flush_once()
            except PyMongoError:
                logger.exception("decision log write failed; retrying in %ss", self._flush_seconds)

    async def flush_once(self) -> None:
        chunk = [self._queue.popleft() for _ in range(min(self._batch, len(self._queue)))]
        if not chunk:
            return
        try:
            await self._collection.insert_many([to_document(e) for e in chunk], ordered=False)
        except BulkWriteError as exc:
            # A re-delivered call is already logged (same _id): that is the idempotence working.
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
        except PyMongoError:
            self._queue.extendleft(reversed(chunk))
            raise
        self.written += len(chunk)
