"""Start-up order of call-dispatch: the view first, calls only once it is caught up.

Deciding before the view holds every number would reject live numbers as NUMBER_NOT_IN_SERVICE,
so the dispatcher starts only after both compacted topics are replayed to the end offsets seen at
start. That runs in the background so `/livez` answers meanwhile; `/readyz` reports "view" until
then.
"""

from __future__ import annotations

import logging

from call_dispatch.dispatcher import Dispatcher
from callplane_shared.heap import settle_start_up_heap
from callplane_shared.supervision import Supervisor
from callplane_shared.views import CompactedTopicView

logger = logging.getLogger(__name__)


class DispatchLifecycle:
    def __init__(
        self,
        views: tuple[CompactedTopicView, ...],
        dispatcher: Dispatcher,
        supervisor: Supervisor,
    ) -> None:
        self._views = views
        self._dispatcher = dispatcher
        self._supervisor = supervisor

    async def start(self) -> None:
        # Supervised too: a boot that fails (a topic missing, Kafka refusing) fails /livez
        # instead of leaving a process that answers HTTP but never decides a call.
        self._supervisor.start("dispatch-boot", self._boot_up, finishes=True)

    async def _boot_up(self) -> None:
        for view in self._views:
            await view.start()
        for view in self._views:
            while not await view.wait_caught_up(timeout=5.0):
                logger.info("view still catching up (%s records applied)", view.applied)
        await self._dispatcher.start()
        # The replay's tables and accounts live as long as the process, like start-up's objects:
        # out of the collector's full passes. Once the dispatcher has subscribed, so that this
        # collection (tens of ms) overlaps its group join, not a restart's pause.
        settle_start_up_heap()
        logger.info("view caught up; deciding calls")

    async def ready(self) -> bool:
        return all(v.caught_up for v in self._views) and self._dispatcher.running

    async def stop(self) -> None:
        await self._supervisor.stop("dispatch-boot")
        await self._dispatcher.stop()
        for view in self._views:
            await view.stop()
