"""Keep what start-up built out of the garbage collector's full passes, and time every pass.

A full collection (the oldest generation) walks every container object alive, with the event
loop stopped meanwhile. After start-up that is mostly what lives as long as the process:
modules, FastAPI's routes, pydantic's validators, a service's own tables; about 78,000 objects
in call-dispatch. At 1,000 calls/s call-dispatch ran such a pass about once a second, 40-58 ms
each on this project's 2-core machines: the p99 of every call decided meanwhile (`make bench`).
`gc.freeze` moves those objects to a generation the collector never walks; a full pass then
sees only what was made later (2-11 ms in the same run).

The cost: a reference cycle made before the freeze that becomes garbage later is never freed.
The freeze collects first, and reference counting still frees everything that is not a cycle.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from callplane_shared.metrics import GC_PAUSES

logger = logging.getLogger(__name__)


def settle_start_up_heap() -> None:
    """Collect once, then freeze what survived. Call when start-up is over; again after a later
    stage of it, such as a view's replay (each call freezes what is alive then)."""
    gc.collect()
    gc.freeze()
    logger.info(
        "start-up heap frozen: %d objects out of the collector's passes", gc.get_freeze_count()
    )


class _PauseClock:
    """A `gc.callbacks` entry observing each pass's duration in `callplane_gc_pause_seconds`."""

    def __init__(self, service: str) -> None:
        self._by_generation = [GC_PAUSES.labels(service, str(g)) for g in range(3)]
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self._by_generation[info["generation"]].observe(time.perf_counter() - self._began)


def watch_collector_pauses(service: str) -> None:
    """Time the collector's passes for `/metrics`; once per process (a second call is a no-op)."""
    if not any(isinstance(cb, _PauseClock) for cb in gc.callbacks):
        gc.callbacks.append(_PauseClock(service))
