"""Start-up order of call-dispatch: the view first, calls only once it is caught up.

Deciding before the view holds every number would reject live numbers as NUMBER_NOT_IN_SERVICE,
so the dispatcher starts only after both compacted topics are replayed to the end offsets seen at
start. That runs in the background so `/livez` answers meanwhile; `/readyz` reports "view" until
then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from call_dispatch.dispatcher import Dispatcher
from callplane_shared.views import CompactedTopicView

logger = logging.getLogger(__name__)


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("call-dispatch failed to start", exc_info=task.exception())


class DispatchLifecycle:
    def __init__(
        self,
        views: tuple[CompactedTopicView, ...],
        dispatcher: Dispatcher,
    ) -> None:
        self._views = views
        self._dispatcher = dispatcher
        self._boot: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._boot = asyncio.create_task(self._boot_up(), name="dispatch-boot")
        self._boot.add_done_callback(_report_failure)

    async def _boot_up(self) -> None:
        for view in self._views:
            await view.start()
        for view in self._views:
            while not await view.wait_caught_up(timeout=5.0):
                logger.info("view still catching up (%s records applied)", view.applied)
        await self._dispatcher.start()
        logger.info("view caught up; deciding calls")

    async def ready(self) -> bool:
        return all(v.caught_up for v in self._views) and self._dispatcher.running

    async def stop(self) -> None:
        if self._boot is not None and not self._boot.done():
            self._boot.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._boot
        await self._dispatcher.stop()
        for view in self._views:
            await view.stop()
