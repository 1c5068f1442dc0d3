"""call-dispatch's use of the shared metrics (`callplane_shared.metrics`), kept off the hot path.

Per decision: plain counting into cached per-label-set tallies (`labels()` validates its
arguments each time, and every `inc`/`observe` takes a lock), flushed to prometheus_client once
per batch. View gauges are read at scrape time from counters the view keeps anyway; consumer lag
is refreshed at most once a second by the dispatcher loop.
"""

from __future__ import annotations

from bisect import bisect_left

from prometheus_client import Counter, Histogram

from call_dispatch import SERVICE_NAME
from call_dispatch.view import DispatchView
from callplane_shared.events import CallDecision, RejectInstruction
from callplane_shared.metrics import (
    DECISION_LATENCY,
    DECISIONS,
    VIEW_ENTRIES,
    VIEW_LAST_APPLIED,
    decision_labels,
)


class _Tally:
    __slots__ = ("child", "n")

    def __init__(self, child: Counter) -> None:
        self.child = child
        self.n = 0


class _Timings:
    """Observations of one histogram child not yet handed to it: per-bucket counts and the sum,
    so a batch costs one locked update per bucket instead of two per call."""

    __slots__ = ("bounds", "child", "counts", "total")

    def __init__(self, child: Histogram) -> None:
        self.child = child
        # prometheus_client keeps a child's bucket bounds (ending in +Inf), bucket values and
        # sum in these attributes; the version is pinned and tests read the results back.
        self.bounds: list[float] = list(child._upper_bounds)  # noqa: SLF001 - see above
        self.counts = [0] * len(self.bounds)
        self.total = 0.0

    def flush(self) -> None:
        buckets = self.child._buckets  # noqa: SLF001 - see __init__
        for i, n in enumerate(self.counts):
            if n:
                buckets[i].inc(n)
                self.counts[i] = 0
        self.child._sum.inc(self.total)  # noqa: SLF001 - see __init__
        self.total = 0.0


class DecisionMetrics:
    """Counts decisions and their latency per label set, handed to Prometheus once per batch.

    `decided` is on the hot path: a dict lookup, an integer increment and a bisect. `flush` (the
    dispatcher calls it after every batch) does the locked updates of prometheus_client, as
    `Histogram.observe` would have, once per label set and bucket.
    """

    def __init__(self, service: str = SERVICE_NAME) -> None:
        self._service = service
        self._tallies: dict[tuple[object, ...], _Tally] = {}
        self._timings: dict[str, _Timings] = {}

    def decided(self, decision: CallDecision, latency_seconds: float) -> None:
        instruction = decision.instruction
        kind = instruction.kind
        reason = instruction.reason if isinstance(instruction, RejectInstruction) else None
        # The key is built from the objects as they are (enums hash like their strings); the
        # label strings are only computed the first time a combination is seen.
        key = (decision.action_type, kind, decision.path, reason)
        tally = self._tallies.get(key)
        if tally is None:
            counter = DECISIONS.labels(self._service, *decision_labels(decision))
            tally = self._tallies[key] = _Tally(counter)
        tally.n += 1
        timings = self._timings.get(kind)
        if timings is None:
            histogram = DECISION_LATENCY.labels(self._service, kind)
            timings = self._timings[kind] = _Timings(histogram)
        # The first bucket whose bound is >= the value, as Histogram.observe picks it.
        timings.counts[bisect_left(timings.bounds, latency_seconds)] += 1
        timings.total += latency_seconds

    def flush(self) -> None:
        for tally in self._tallies.values():
            if tally.n:
                tally.child.inc(tally.n)
                tally.n = 0
        for timings in self._timings.values():
            timings.flush()


def watch_view(view: DispatchView, service: str = SERVICE_NAME) -> None:
    """View size and age as gauges evaluated at scrape time: nothing per applied record."""
    for name, entries, applied_at in (
        ("voice.actions", lambda: view.numbers_live, lambda: view.actions_applied_at),
        ("voice.routes", lambda: view.routes_live, lambda: view.routes_applied_at),
    ):
        VIEW_ENTRIES.labels(service, name).set_function(entries)
        VIEW_LAST_APPLIED.labels(service, name).set_function(applied_at)
