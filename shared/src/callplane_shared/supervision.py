"""Every long-running task of a service runs under one `Supervisor` (invariant 10).

A background task that dies is otherwise silent: asyncio keeps its exception until the task is
garbage-collected, the HTTP app keeps answering, and a consumer that stopped consuming looks
alive. The supervisor starts named tasks, logs why one ended (with its traceback) the moment it
does, counts it in `callplane_supervised_task_deaths_total`, and `/livez` fails from then on, so
Kubernetes restarts the process. A task that ends because its owner stopped it is not a death.

It is also the one periodic-task helper (`every`): outbox relays, sweepers and delivery loops run
a pass, log a failed pass and try again after the interval; only an error outside the pass (a
bug in the loop itself) ends the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from callplane_shared.metrics import TASKS_DIED

logger = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, None]]


class Supervisor:
    """The tasks of one process: started by name, watched until they are stopped."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping: set[str] = set()
        self._died: dict[str, str] = {}

    def start(self, name: str, work: Work, *, finishes: bool = False) -> asyncio.Task[None]:
        """Run `work()` as the task `name`; its end counts as a death unless `stop` asked, or
        unless it `finishes` (start-up work) and returned normally."""
        if name in self._tasks and not self._tasks[name].done():
            raise RuntimeError(f"task {name} is already running")
        task = asyncio.create_task(work(), name=name)
        self._tasks[name] = task
        self._stopping.discard(name)
        task.add_done_callback(lambda t: self._ended(name, t, finishes=finishes))
        return task

    def every(
        self, name: str, seconds: float, work: Callable[[], Awaitable[object]]
    ) -> asyncio.Task[None]:
        """Run `work()` now and then every `seconds` after each pass ends."""

        async def loop() -> None:
            while True:
                try:
                    await work()
                except Exception:
                    logger.exception("%s pass failed; next try in %ss", name, seconds)
                await asyncio.sleep(seconds)

        return self.start(name, loop)

    async def stop(self, name: str, *, timeout: float | None = None, cancel: bool = True) -> None:
        """Stop the task `name` on purpose: cancel it (or, with cancel=False, let it finish on
        its own, cancelling after `timeout`) and wait for it."""
        task = self._tasks.get(name)
        if task is None or task.done():  # a death was already reported when it happened
            return
        self._stopping.add(name)
        if cancel:
            task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            # Whatever it ends with while stopping is the stop's doing, not a death.
            await asyncio.wait_for(asyncio.shield(task), timeout)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop_all(self) -> None:
        for name in list(self._tasks):
            await self.stop(name)

    def kill(self, name: str) -> bool:
        """End a running task as a crash would, without stopping it on purpose (the
        fault-injection hook tests use to probe liveness)."""
        task = self._tasks.get(name)
        if task is None or task.done():
            return False
        task.cancel(msg="killed on request")
        return True

    @property
    def alive(self) -> bool:
        return not self._died

    def died(self) -> dict[str, str]:
        """Task name → why it ended, for every task that ended without being stopped."""
        return dict(self._died)

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def _ended(self, name: str, task: asyncio.Task[None], *, finishes: bool) -> None:
        if name in self._stopping:
            return
        if finishes and not task.cancelled() and task.exception() is None:
            return
        if task.cancelled():
            why = "cancelled"
            logger.error("task %s of %s was cancelled; no longer live", name, self.service)
        elif (exc := task.exception()) is not None:
            why = f"{type(exc).__name__}: {exc}"[:500]
            logger.error(
                "task %s of %s died; the process is no longer live",
                name,
                self.service,
                exc_info=exc,
            )
        else:
            why = "returned"
            logger.error("task %s of %s returned; no longer live", name, self.service)
        self._died[name] = why
        TASKS_DIED.labels(self.service, name).inc()
