"""Start-up's objects leave the collector's full passes, and every pass is timed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from callplane_shared.heap import _PauseClock, settle_start_up_heap, watch_collector_pauses

pytestmark = pytest.mark.unit


@pytest.fixture
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.fixture
def own_callbacks() -> Iterator[None]:
    before = list(gc.callbacks)
    gc.callbacks[:] = [cb for cb in before if not isinstance(cb, _PauseClock)]
    yield
    gc.callbacks[:] = before


class Survivor:
    pass


def test_what_lives_at_the_end_of_start_up_is_frozen_and_garbage_is_not(thawed: None) -> None:
    kept = Survivor()
    dropped = Survivor()
    dropped.me = dropped  # type: ignore[attr-defined] # a cycle: only the collector frees it
    gone = weakref.ref(dropped)
    del dropped
    settle_start_up_heap()
    assert gone() is None  # collected before the freeze, not frozen alive
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())  # frozen: outside every pass


def _sample(name: str, service: str, generation: int) -> float:
    labels = {"service": service, "generation": str(generation)}
    return REGISTRY.get_sample_value(f"callplane_gc_pause_seconds_{name}", labels) or 0.0


def test_each_collector_pass_is_timed_once_however_often_watched(own_callbacks: None) -> None:
    service = "test-heap-pauses"
    watch_collector_pauses(service)
    watch_collector_pauses(service)
    gc.collect(2)
    assert _sample("count", service, 2) == 1.0
    assert _sample("sum", service, 2) > 0
