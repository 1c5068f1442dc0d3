"""Write MongoDB first, then publish; never lose the event in between.

Without multi-document transactions (FerretDB and the contract rule them out) the event to publish
rides in the same document as the state it describes: one atomic update sets the new state and
appends the event to the document's `_outbox` array. After the write the caller publishes it and
pulls it from the array. If the process dies in between, `OutboxRelay` finds documents whose
`_outbox` is still non-empty after a short grace period and publishes them again, in order.

Finding them is a scan of the collection's `_outbox.stagedAt`. MongoDB answers it from an index;
FerretDB 1.24 (the local store) pushes down only `_id` equality, so every scan reads the whole
collection, and a collection that grows with every call (masking decisions) made a once-a-second
scan the local store's main load. The relay therefore sweeps at start and then every
`sweep_seconds`, and sooner only when a publish of this process failed (`note_publish_failure`):
its own failures are the ones it knows about; another replica's crash waits for the sweep.

Consumers already tolerate duplicates (versions, event ids), so re-publishing is safe.
"""

from __future__ import annotations

import logging
import time
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
GRACE = timedelta(seconds=2)

# When this process next wants a relay pass because one of its publishes failed (monotonic
# seconds; None: nothing known). One relay per process reads it.
_rescan_at: float | None = None


def note_publish_failure() -> None:
    """A publish after a committed write failed: the relay sweeps once the grace has passed."""
    global _rescan_at  # noqa: PLW0603 - one process-wide hint, read by the process's relay
    due = time.monotonic() + GRACE.total_seconds() + 0.5
    _rescan_at = due if _rescan_at is None else min(_rescan_at, due)


def _take_rescan(now: float) -> bool:
    global _rescan_at  # noqa: PLW0603
    if _rescan_at is None or now < _rescan_at:
        return False
    _rescan_at = None
    return True


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
    try:
        doc = await collection.find_one(doc_filter, {OUTBOX_FIELD: 1})
        entries: list[Document] = list((doc or {}).get(OUTBOX_FIELD) or [])
        if not entries:
            return 0
        await publish_entries(broker, entries)
        # `$pullAll` with the exact entries read above, not `$pull` with a condition: FerretDB
        # 1.24 accepts a conditional `$pull` but removes nothing, so every relay pass
        # re-published everything. Exact-match `$pullAll` behaves the same on both.
        await collection.update_one(doc_filter, {"$pullAll": {OUTBOX_FIELD: entries}})
    except Exception:
        note_publish_failure()  # whatever failed, entries may be left staged
        raise
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
        grace: timedelta = GRACE,
        tick_seconds: float = 1.0,
        sweep_seconds: float = 15.0,
    ) -> None:
        self._broker = broker
        self._collections = collections
        self._supervisor = supervisor
        self._grace = grace
        self._tick = tick_seconds
        self._sweep_every = sweep_seconds
        self._next_sweep = 0.0  # the first tick sweeps: a crash before this start left work

    async def relay_due(self) -> int:
        """One tick: sweep when the sweep interval has passed or a publish here failed."""
        now = time.monotonic()
        rescan = _take_rescan(now)
        if not rescan and now < self._next_sweep:
            return 0
        self._next_sweep = now + self._sweep_every
        return await self.relay_once()

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
        self._supervisor.every("outbox-relay", self._tick, self.relay_due)

    async def stop(self) -> None:
        await self._supervisor.stop("outbox-relay")
