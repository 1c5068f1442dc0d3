"""Retention where the database has no TTL index: delete expired records every interval.

MongoDB removes records itself through the TTL index on `expireAt`; FerretDB (the local and
test store) does not implement TTL indexes, so there this loop does the same job.
"""

from __future__ import annotations

import logging

from call_records.records import RecordStore
from callplane_shared.supervision import Supervisor

logger = logging.getLogger(__name__)


class RetentionSweeper:
    def __init__(
        self, store: RecordStore, supervisor: Supervisor, interval_seconds: float = 300.0
    ) -> None:
        self._store = store
        self._supervisor = supervisor
        self._interval = interval_seconds

    async def start(self) -> None:
        self._supervisor.every("records-retention", self._interval, self.sweep_once)

    async def sweep_once(self) -> None:
        deleted = await self._store.expire()
        if deleted:
            logger.info("retention removed %d expired call record(s)", deleted)

    async def stop(self) -> None:
        await self._supervisor.stop("records-retention")
