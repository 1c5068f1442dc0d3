"""Helpers every test layer uses: unique ids and bounded polling (never bare sleeps)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]


def unique(prefix: str = "t") -> str:
    """An id no other test (or earlier run against the same stack) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 15.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll `probe` until it returns something other than None/False, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last is not None and last is not False:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout:.1f}s (last value: {last!r})")


async def stop_bounded(
    stop: Callable[[], Awaitable[object]], *, what: str, timeout: float = 10.0
) -> None:
    """Stop a Kafka client (or any resource) at teardown, within `timeout`.

    On a busy machine aiokafka's `stop()` can hang on a fetch or raise CancelledError after
    timed-out requests. A teardown is not what a test asserts, so a client that cannot stop
    cleanly is logged, never allowed to fail or hang the run.
    """
    try:
        await asyncio.wait_for(stop(), timeout)
    except (asyncio.CancelledError, Exception) as exc:  # noqa: BLE001 - teardown only
        logger.warning("stopping %s did not finish cleanly: %r", what, exc)
