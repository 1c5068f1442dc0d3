"""The call path's lookups are reused for their time-to-live, and never outlive a local write."""

from __future__ import annotations

import asyncio

import pytest

from number_masking.lookup_cache import LookupCache

pytestmark = pytest.mark.unit


class Reads:
    """A store read that counts how often it ran and returns what the store holds now."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.count = 0

    async def __call__(self) -> str | None:
        self.count += 1
        return self.value


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_value_is_read_once_per_time_to_live() -> None:
    clock, store = Clock(), Reads("v1")
    cache: LookupCache[str | None] = LookupCache(2.0, timer=clock)

    assert [await cache.get("k", store) for _ in range(3)] == ["v1"] * 3
    assert store.count == 1

    store.value = "v2"  # changed through another replica
    clock.now += 2.5
    assert await cache.get("k", store) == "v2"
    assert store.count == 2


async def test_a_miss_is_kept_too() -> None:
    store = Reads(None)
    cache: LookupCache[str | None] = LookupCache(60.0)
    assert await cache.get("unknown", store) is None
    assert await cache.get("unknown", store) is None
    assert store.count == 1


async def test_a_local_write_drops_the_value_once_written() -> None:
    store = Reads("old")
    cache: LookupCache[str | None] = LookupCache(60.0)
    await cache.get("k", store)

    with cache.changing("k"):
        store.value = "new"

    assert await cache.get("k", store) == "new"
    assert store.count == 2


async def test_a_read_that_overlapped_a_write_keeps_nothing() -> None:
    cache: LookupCache[str | None] = LookupCache(60.0)
    reading, release = asyncio.Event(), asyncio.Event()

    async def slow_read_of_the_old_value() -> str | None:
        reading.set()
        await release.wait()
        return "old"

    pending = asyncio.create_task(cache.get("k", slow_read_of_the_old_value))
    await reading.wait()
    with cache.changing("k"):
        pass  # the write lands while the read is in flight
    release.set()
    assert await pending == "old"  # that call saw the old value ...

    store = Reads("new")
    assert await cache.get("k", store) == "new"  # ... but the next one reads again
    assert store.count == 1


async def test_a_failed_write_drops_the_value_as_well() -> None:
    store = Reads("old")
    cache: LookupCache[str | None] = LookupCache(60.0)
    await cache.get("k", store)
    with pytest.raises(ConnectionError), cache.changing("k"):
        raise ConnectionError("the write may have applied before the connection dropped")
    await cache.get("k", store)
    assert store.count == 2


async def test_zero_seconds_reads_every_time() -> None:
    store = Reads("v")
    cache: LookupCache[str | None] = LookupCache(0)
    await cache.get("k", store)
    await cache.get("k", store)
    assert store.count == 2
