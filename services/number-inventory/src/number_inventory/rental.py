"""Monthly rental of leased numbers (invariant 9: every step is a ledger entry, applied once).

Each pass looks at the leased numbers whose next period has started. For each started period
it debits `pricePerMonth` with reference `rental:<numberKey>:<periodStart>`; the ledger applies
a reference once, so two replicas, a restart in the middle of a pass or a pass repeated after a
crash charge a period once. The `rental` sub-document of the number is only a cursor (which
period is next, the status customers see): if it lags or goes back, the next pass meets the
same references and the ledger answers "already applied".

A period the balance does not cover makes the number OVERDUE (a zero `RENTAL_OVERDUE` entry and
`NumberRentalOverdue`); every pass tries the debit again, so a top-up within the grace period
pays it. Once `periodStart + grace` has passed unpaid, a zero `RENTAL_RELEASE` entry carries
`NumberReleased` (reason RENTAL_UNPAID) and the number goes back to the pool. Events ride in
their ledger entry's outbox, so each is published once per step, never without the entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from callplane_shared import outbox
from callplane_shared.events import (
    NumberLifecycle,
    NumberReleased,
    NumberRentalCharged,
    NumberRentalOverdue,
)
from callplane_shared.metrics import RENTAL_STEPS
from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from callplane_shared.topics import NUMBERS_LIFECYCLE
from number_inventory.domain.rental import (
    CURRENT,
    OVERDUE,
    RentalTerms,
    overdue_reference,
    release_reference,
    rental_reference,
)
from number_inventory.ledger import Ledger, Movement, Refused
from number_inventory.rental_numbers import RentalNumbers

logger = logging.getLogger(__name__)
# A number whose service was down for years catches up over several passes, not in one.
MAX_PERIODS_PER_PASS = 12
TASK = "number-rental"
STEPS = ("charged", "overdue", "released")


def _units(minor: int) -> Decimal:
    return Decimal(minor).scaleb(-2)


def _lifecycle_fields(number: Document) -> Document:
    return {
        "number_key": number["_id"],
        "number": number["number"],
        "account_id": number["accountId"],
        "capabilities": list(number["capabilities"]),
        "type": number["type"],
        "country": number["country"],
    }


def _staged(number: Document, event: NumberLifecycle) -> list[Document]:
    return [outbox.outbox_entry(NUMBERS_LIFECYCLE.name, number["_id"], event)]


class Rental:
    def __init__(
        self,
        numbers: RentalNumbers,
        ledger: Ledger,
        terms: RentalTerms,
        *,
        clock: Callable[[], datetime],
        supervisor: Supervisor,
        interval_seconds: float = 60.0,
    ) -> None:
        self._numbers = numbers
        self._ledger = ledger
        self._terms = terms
        self._clock = clock
        self._supervisor = supervisor
        self._interval = interval_seconds
        for step in STEPS:
            # At zero from the start: a month can pass before the first step, and a dashboard
            # should show none happened rather than no data.
            RENTAL_STEPS.labels(step)

    async def collect_once(self) -> int:
        """One pass over the due numbers; the steps taken (charges, overdue marks, releases)."""
        now = self._clock()
        steps = 0
        async for number in self._numbers.due(now):
            try:
                steps += await self._settle(number, now)
            except Exception:
                # One number's failure (an account without a ledger...) must not stop the rest.
                logger.exception("rental of number %s failed; retried next pass", number["_id"])
        return steps

    def _rental(self, number: Document) -> Document:
        rental: Document | None = number.get("rental")
        if rental is not None and rental.get("leasedAt") == number["leasedAt"]:
            return rental
        # Period 0 was paid at purchase (initialMonthPrice): the first rental is period 1.
        return self._cursor(number, 1)

    def _cursor(self, number: Document, paid: int, *, overdue: bool = False) -> Document:
        due = self._terms.period_start(number["leasedAt"], paid)
        return {
            "leasedAt": number["leasedAt"],
            "paidPeriods": paid,
            "dueAt": due,
            "status": OVERDUE if overdue else CURRENT,
            "releaseAt": self._terms.release_at(due) if overdue else None,
        }

    async def _settle(self, number: Document, now: datetime) -> int:
        rental = self._rental(number)
        if rental is not number.get("rental"):
            await self._numbers.set_rental(number["_id"], number["leasedAt"], rental)
        steps = 0
        for _ in range(MAX_PERIODS_PER_PASS):
            paid = int(rental["paidPeriods"])
            start = self._terms.period_start(number["leasedAt"], paid)
            if start > now:
                break
            release_at = self._terms.release_at(start)
            if now >= release_at and await self._release_started(number, start):
                await self._release(number, start)
                return steps + 1
            if not await self._numbers.still_leased(number["_id"], number["leasedAt"]):
                break  # released by its owner since the pass read it: nothing more to charge
            if not await self._charge(number, start, paid):
                if rental["status"] != OVERDUE or now >= release_at:
                    # Replayed when already marked: the release is always preceded by the mark.
                    await self._mark_overdue(number, paid, start)
                    steps += 1
                if now >= release_at:
                    await self._release(number, start)
                    steps += 1
                return steps
            steps += 1
            rental = self._cursor(number, paid + 1)
            await self._numbers.set_rental(number["_id"], number["leasedAt"], rental)
        return steps

    async def _charge(self, number: Document, start: datetime, paid: int) -> bool:
        price = int(number["pricePerMonth"])
        reference = rental_reference(number["_id"], start)
        event = NumberRentalCharged(
            **_lifecycle_fields(number),
            period_start=start,
            period_end=self._terms.period_start(number["leasedAt"], paid + 1),
            amount=_units(price),
            currency=number["currency"],
            reference=reference,
        )
        result = await self._ledger.apply(
            number["accountId"],
            -price,
            Movement.NUMBER_RENTAL,
            reference,
            events=_staged(number, event),
        )
        if isinstance(result, Refused):
            return False
        if not result.replayed:
            RENTAL_STEPS.labels("charged").inc()
            logger.info("number %s: rental of period %s charged", number["_id"], start)
        return True

    async def _mark_overdue(self, number: Document, paid: int, start: datetime) -> None:
        release_at = self._terms.release_at(start)
        reference = overdue_reference(number["_id"], start)
        event = NumberRentalOverdue(
            **_lifecycle_fields(number),
            period_start=start,
            amount=_units(int(number["pricePerMonth"])),
            currency=number["currency"],
            release_at=release_at,
            reference=reference,
        )
        result = await self._ledger.apply(
            number["accountId"],
            0,
            Movement.RENTAL_OVERDUE,
            reference,
            events=_staged(number, event),
        )
        await self._numbers.set_rental(
            number["_id"], number["leasedAt"], self._cursor(number, paid, overdue=True)
        )
        if not isinstance(result, Refused) and not result.replayed:
            RENTAL_STEPS.labels("overdue").inc()
            logger.warning("number %s: rental unpaid, released at %s", number["_id"], release_at)

    async def _release_started(self, number: Document, start: datetime) -> bool:
        reference = release_reference(number["_id"], start)
        return await self._ledger.with_reference(number["accountId"], reference) is not None

    async def _release(self, number: Document, start: datetime) -> None:
        event = NumberReleased(**_lifecycle_fields(number), reason="RENTAL_UNPAID")
        result = await self._ledger.apply(
            number["accountId"],
            0,
            Movement.RENTAL_RELEASE,
            release_reference(number["_id"], start),
            events=_staged(number, event),
        )
        # Ledger first: a crash here leaves a leased number whose release entry exists, and the
        # next pass finishes the release instead of charging it again.
        await self._numbers.free(number)
        if not isinstance(result, Refused) and not result.replayed:
            RENTAL_STEPS.labels("released").inc()
            logger.warning("number %s released: rental unpaid since %s", number["_id"], start)

    async def start(self) -> None:
        self._supervisor.every(TASK, self._interval, self.collect_once)

    async def stop(self) -> None:
        await self._supervisor.stop(TASK)
