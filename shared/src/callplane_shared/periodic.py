"""A background task that runs a piece of work every `interval` seconds until stopped; a failing
pass is logged and retried at the next tick, so the loop itself never dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self, name: str, interval_seconds: float, work: Callable[[], Awaitable[object]]
    ) -> None:
        self._name = name
        self._interval = interval_seconds
        self._work = work
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            try:
                await self._work()
            except Exception:
                logger.exception("%s pass failed; retrying", self._name)
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
