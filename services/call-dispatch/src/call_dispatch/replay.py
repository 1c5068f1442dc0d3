"""What this process already published for a call, so a call read again gets the very same record.

The decider repeats itself only while the view stays the same. A call is read again when its
offsets were not committed: a batch whose acknowledgements failed is re-read, and when Kafka's
group coordinator moves (its broker died) the group's session can time out and hand the
partitions back from the last commit, tens of seconds of calls. Voice actions change meanwhile,
and deciding those calls afresh would publish a second, different decision for the same callId.
Answering them from here keeps duplicates identical (invariant 3).

Bounded by a count, oldest forgotten first: a re-read reaches back only to the last commit, a few
seconds of calls normally, a coordinator's failover at most. A new process starts empty; a call
its predecessor decided is decided again from the current view.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class Published(Generic[T]):
    """callId → the record published for it, the `capacity` most recent."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._records: OrderedDict[str, T] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def get(self, call_id: str) -> T | None:
        return self._records.get(call_id)

    def remember(self, call_id: str, record: T) -> None:
        self._records[call_id] = record
        if len(self._records) > self._capacity:
            self._records.popitem(last=False)
