"""Write MongoDB first, then publish; never lose the event in between.

Without multi-document transactions (FerretDB and the contract rule them out) the event to publish
rides in the same document as the state it describes: one atomic update sets the new state and
appends the event to the document's `_outbox` array. After the write the caller publishes it and
pulls it from the array. If the process dies in between, `OutboxRelay` finds documents whose
`_outbox` is still non-empty after a short grace period and publishes them again, in order.

Consumers already tolerate duplicates (versions, event ids), so re-publishing is safe.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import propagate
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared.supervision import Supervisor
from callplane_shared.wire import WireModel

logger = logging.getLogger(__name__)

OUTBOX_FIELD = "_outbox"
Document = dict[str, Any]


def outbox_entry(topic: str, key: str, event: WireModel | None) -> Document:
    """One pending publication; `event=None` is a tombstone. The current trace context rides along
    so a re-publication still joins the trace of the request that caused it."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {
        "id": uuid.uuid4().hex,
        "topic": topic,
        "key": key,
        "value": None if event is None else event.model_dump_json(by_alias=True),
        "headers": carrier,
        "stagedAt": datetime.now(UTC),
    }


def push(*entries: Document) -> Document:
    """The update fragment that appends entries; merge it into the state update."""
    return {OUTBOX_FIELD: {"$each": list(entries)}}


async def publish_entries(broker: KafkaBroker, entries: Sequence[Document]) -> None:
    for entry in entries:
        value = entry["value"]
        await broker.publish(
            None if value is None else value.encode(),
            topic=entry["topic"],
            key=entry["key"].encode(),
            headers={**entry.get("headers", {}), "content-type": "application/json"},
        )


async def flush(
    broker: KafkaBroker, collection: AsyncCollection[Document], doc_filter: Document
) -> int:
    """Publish what the matching document has pending and remove it from `_outbox`.

    `doc_filter` should select by `_id`. Documents that were deleted after staging (tombstones)
    are handled by the caller passing the entries to `publish_entries` itself.
    """
    doc = await collection.find_one(doc_filter, {OUTBOX_FIELD: 1})
    entries: list[Document] = list((doc or {}).get(OUTBOX_FIELD) or [])
    if not entries:
        return 0
    await publish_entries(broker, entries)
    # `$pullAll` with the exact entries read above, not `$pull` with a condition: FerretDB 1.24
    # accepts a conditional `$pull` but removes nothing, so every relay pass re-published
    # everything. Exact-match `$pullAll` behaves the same on MongoDB and FerretDB.
    await collection.update_one(doc_filter, {"$pullAll": {OUTBOX_FIELD: entries}})
    return len(entries)


async def flush_after_commit(
    broker: KafkaBroker, collection: AsyncCollection[Document], doc_filter: Document
) -> None:
    """`flush` for a request whose write has committed: a publish failure is logged, not
    raised, because the change happened and the relay publishes it within seconds. Answering an
    error here would make clients retry a change that took effect (and duplicate it)."""
    try:
        await flush(broker, collection, doc_filter)
    except Exception:
        logger.warning("publish after commit failed; the outbox relay will publish", exc_info=True)


async def ensure_outbox_index(collection: AsyncCollection[Document]) -> None:
    """The relay scans `_outbox.stagedAt` every second on every replica: index it so the scan
    reads only documents with pending events instead of the whole collection."""
    await collection.create_index([(f"{OUTBOX_FIELD}.stagedAt", 1)], name="outbox_staged")


class OutboxRelay:
    """Re-publishes what a crash between write and publish left behind."""

    def __init__(
        self,
        broker: KafkaBroker,
        collections: Sequence[AsyncCollection[Document]],
        *,
        supervisor: Supervisor,
        grace: timedelta = timedelta(seconds=2),
        interval_seconds: float = 1.0,
    ) -> None:
        self._broker = broker
        self._collections = collections
        self._supervisor = supervisor
        self._grace = grace
        self._interval = interval_seconds

    async def relay_once(self) -> int:
        cutoff = datetime.now(UTC) - self._grace
        relayed = 0
        for collection in self._collections:
            stale = collection.find({f"{OUTBOX_FIELD}.stagedAt": {"$lt": cutoff}}, {"_id": 1})
            async for doc in stale:
                relayed += await flush(self._broker, collection, {"_id": doc["_id"]})
        if relayed:
            logger.warning("outbox relay re-published %d pending event(s)", relayed)
        return relayed

    async def start(self) -> None:
        for collection in self._collections:
            await ensure_outbox_index(collection)
        self._supervisor.every("outbox-relay", self._interval, self.relay_once)

    async def stop(self) -> None:
        await self._supervisor.stop("outbox-relay")
