"""Retention where the database has no TTL index: delete expired records every interval.

MongoDB removes records itself through the TTL index on `expireAt`; FerretDB (the local and
test store) does not implement TTL indexes, so there this loop does the same job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from call_records.records import RecordStore

logger = logging.getLogger(__name__)


class RetentionSweeper:
    def __init__(self, store: RecordStore, interval_seconds: float = 300.0) -> None:
        self._store = store
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="records-retention")

    async def _loop(self) -> None:
        while True:
            try:
                deleted = await self._store.expire()
                if deleted:
                    logger.info("retention removed %d expired call record(s)", deleted)
            except Exception:
                logger.exception("retention pass failed; retrying next interval")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
