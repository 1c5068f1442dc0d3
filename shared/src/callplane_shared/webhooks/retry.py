"""When a failed delivery is tried again: one schedule for every durable webhook queue."""

from __future__ import annotations

import random


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds until the next attempt after `attempts` failed ones: exponential (base, 2 x base,
    4 x base ... up to `cap`) with jitter over the upper half (never below `base`), so
    deliveries that failed together (a customer's outage) do not all come back in the same
    second, and each retry still waits at least half its step."""
    ceiling = max(base, min(base * 2 ** max(0, attempts - 1), cap))
    return random.uniform(max(base, ceiling / 2), ceiling)  # noqa: S311 - not crypto
