"""Per-customer admission: a customer whose server hangs holds at most its own share of
deliveries, and the next one is refused at once (so the caller takes its backup path) instead of
waiting for a slot that everybody else needs too.

Two in-flight counters, both checked before anything is sent: one per customer (the account) and
one per resolved address (so many hostnames pointing at one server share one limit). Counters
are dropped when they reach zero, so the maps never hold more entries than there are deliveries
in flight, whatever the number of customers or hostnames.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from callplane_shared.webhooks.errors import WebhookError


class InFlight:
    """Counters per key with a limit; `hold` refuses instead of waiting."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self._what = what
        self._counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)

    def full(self, key: str) -> bool:
        """Whether `hold(key)` would refuse now: lets a caller skip work before a delivery
        that cannot be sent anyway."""
        return self._counts.get(key, 0) >= self.limit

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        current = self._counts.get(key, 0)
        if current >= self.limit:
            raise WebhookError(
                f"{self._what} share full ({self.limit} in flight): not sent", "busy"
            )
        self._counts[key] = current + 1
        try:
            yield
        finally:
            left = self._counts[key] - 1
            if left:
                self._counts[key] = left
            else:
                del self._counts[key]


class Admission:
    def __init__(self, per_customer: int, per_address: int) -> None:
        self.customers = InFlight(per_customer, "customer")
        self.addresses = InFlight(per_address, "host")
