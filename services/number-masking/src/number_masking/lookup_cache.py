"""What every masked call reads and a customer rarely changes (its masking config, its signing
credentials), reused for a few seconds by this instance.

At 100 masked calls/s of one customer, these two reads were half of the store round trips a call
waited for (`bench/stages.py`: three reads took 68 ms of a 162 ms p50 on a saturated store).
A change this instance writes drops the entry as soon as it is written; one written through
another replica is seen within the time-to-live.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from cachetools import TTLCache

V = TypeVar("V")
ENTRIES = 10_000


class LookupCache(Generic[V]):
    def __init__(
        self,
        ttl_seconds: float,
        *,
        entries: int = ENTRIES,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._values: TTLCache[str, V] | None = (
            TTLCache(entries, ttl_seconds, timer=timer) if ttl_seconds > 0 else None
        )
        self._writes = 0

    async def get(self, key: str, read: Callable[[], Awaitable[V]]) -> V:
        """The value kept for `key`, else `read()`'s (kept too, a miss included: an unknown key
        asked at a high rate must not reach the store each time)."""
        if self._values is None:
            return await read()
        try:
            return self._values[key]
        except KeyError:
            pass
        writes = self._writes
        value = await read()
        # A write while this read was in flight may have dropped the key already: what was read
        # can be older than that write, so it is not kept.
        if writes == self._writes:
            self._values[key] = value
        return value

    @contextmanager
    def changing(self, key: str) -> Iterator[None]:
        """Around a write of `key`: the kept value is dropped once the write is done, or failed
        (it may have applied), and a read that overlapped the write keeps nothing."""
        try:
            yield
        finally:
            self._writes += 1
            if self._values is not None:
                self._values.pop(key, None)
