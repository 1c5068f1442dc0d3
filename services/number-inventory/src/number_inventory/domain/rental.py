"""Monthly rental terms: when each period of a lease starts, and the ledger references of its
steps. Pure: the clock and the storage belong to the caller.

Periods are anchored at the lease: period 0 starts at `leasedAt` and was paid at purchase
(initialMonthPrice); period k starts k months later, each computed from the anchor (not from the
previous start), so a lease of 31 January is due on 28/29 February, then on 31 March.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CURRENT = "CURRENT"
OVERDUE = "OVERDUE"


@dataclass(frozen=True)
class RentalTerms:
    grace: timedelta
    period: timedelta | None = None
    """None: calendar months. A fixed length is for tests and demos that cannot wait a month."""

    def period_start(self, anchor: datetime, index: int) -> datetime:
        if self.period is not None:
            return anchor + index * self.period
        return add_months(anchor, index)

    def release_at(self, period_start: datetime) -> datetime:
        return period_start + self.grace


def add_months(at: datetime, months: int) -> datetime:
    zero_based = at.month - 1 + months
    year, month = at.year + zero_based // 12, zero_based % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def _stamp(at: datetime) -> str:
    # Milliseconds: what MongoDB keeps of a date, so a re-read anchor gives the same reference.
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rental_reference(number_key: str, period_start: datetime) -> str:
    return f"rental:{number_key}:{_stamp(period_start)}"


def overdue_reference(number_key: str, period_start: datetime) -> str:
    return f"rental-overdue:{number_key}:{_stamp(period_start)}"


def release_reference(number_key: str, period_start: datetime) -> str:
    return f"rental-release:{number_key}:{_stamp(period_start)}"
