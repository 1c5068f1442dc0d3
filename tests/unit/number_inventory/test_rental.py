"""The monthly rental's rules on fakes and a hand-moved clock: one charge per period however
often a pass runs (invariant 9), OVERDUE when unpaid, paid late within the grace period, released
after it, the first month left to the purchase."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from callplane_shared.supervision import Supervisor
from number_inventory.api_models import number_response
from number_inventory.domain.pool import new_number_key
from number_inventory.domain.rental import RentalTerms, add_months, rental_reference
from number_inventory.ledger import Ledger, Movement
from number_inventory.rental import TASK, Rental
from number_inventory.voice_setups import VoiceSetups
from tests.unit.number_inventory.fakes import FakeLedgerEntries, FakeRentalNumbers

pytestmark = pytest.mark.unit

LEASED_AT = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
GRACE = timedelta(days=7)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def _world(
    balance: int, price: int = 300, period: timedelta | None = None
) -> tuple[Rental, Ledger, FakeLedgerEntries, FakeRentalNumbers, Clock, str]:
    entries = FakeLedgerEntries()
    ledger = Ledger(entries, 0)
    await ledger.open("acc", "EUR", balance)
    numbers = FakeRentalNumbers()
    key = new_number_key()
    numbers.numbers[key] = {
        "_id": key,
        "number": "+41793026731",
        "accountId": "acc",
        "leaseState": "LEASED",
        "leasedAt": LEASED_AT,
        "capabilities": ["VOICE"],
        "type": "VIRTUAL_LONG_NUMBER",
        "country": "CH",
        "pricePerMonth": price,
        "currency": "EUR",
    }
    clock = Clock(LEASED_AT)
    rental = Rental(
        numbers,
        ledger,
        RentalTerms(grace=GRACE, period=period),
        clock=clock,
        supervisor=Supervisor("test"),
    )
    return rental, ledger, entries, numbers, clock, key


def _movements(entries: FakeLedgerEntries) -> list[str]:
    return [e["movement"] for e in entries.of("acc")[1:]]


def _events(entries: FakeLedgerEntries) -> list[dict[str, object]]:
    return [json.loads(o["value"]) for e in entries.of("acc") for o in e.get("_outbox", [])]


def test_calendar_periods_are_anchored_at_the_lease_day() -> None:
    assert add_months(LEASED_AT, 1) == datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    assert add_months(LEASED_AT, 2) == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert add_months(LEASED_AT, 12) == datetime(2027, 1, 31, 10, 0, tzinfo=UTC)


async def test_the_first_month_is_left_to_the_purchase() -> None:
    rental, _, entries, numbers, clock, key = await _world(balance=1000)
    clock.at = LEASED_AT + timedelta(days=27)
    await rental.collect_once()
    assert _movements(entries) == []
    assert numbers.numbers[key]["rental"]["status"] == "CURRENT"
    assert numbers.numbers[key]["rental"]["dueAt"] == datetime(2026, 2, 28, 10, tzinfo=UTC)


async def test_each_period_is_charged_once_however_often_passes_run_invariant_9() -> None:
    rental, ledger, entries, _, clock, key = await _world(balance=1000)
    clock.at = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    await rental.collect_once()
    await rental.collect_once()
    clock.at = datetime(2026, 3, 31, 10, 0, 1, tzinfo=UTC)
    await asyncio.gather(*(rental.collect_once() for _ in range(5)))  # five replicas at once
    assert _movements(entries) == ["NUMBER_RENTAL", "NUMBER_RENTAL"]
    assert [e["reference"] for e in entries.of("acc")[1:]] == [
        rental_reference(key, datetime(2026, 2, 28, 10, tzinfo=UTC)),
        rental_reference(key, datetime(2026, 3, 31, 10, tzinfo=UTC)),
    ]
    assert await ledger.balance("acc") == 400
    charged = _events(entries)
    assert [e["eventType"] for e in charged] == ["NumberRentalCharged"] * 2
    assert charged[0]["amount"] == "3.00"
    assert charged[0]["periodEnd"] == "2026-03-31T10:00:00Z"


async def test_a_restarted_service_catches_up_every_missed_period() -> None:
    rental, ledger, entries, numbers, clock, key = await _world(balance=10_000)
    clock.at = datetime(2026, 5, 1, tzinfo=UTC)  # down since the lease: three periods started
    await rental.collect_once()
    assert _movements(entries) == ["NUMBER_RENTAL"] * 3
    assert numbers.numbers[key]["rental"]["paidPeriods"] == 4
    assert await ledger.balance("acc") == 9100


async def test_an_unpaid_period_makes_the_number_overdue_and_a_top_up_pays_it() -> None:
    rental, ledger, entries, numbers, clock, key = await _world(balance=200)
    clock.at = datetime(2026, 2, 28, 11, 0, tzinfo=UTC)
    await rental.collect_once()
    await rental.collect_once()
    held = numbers.numbers[key]
    assert held["leaseState"] == "LEASED"
    assert held["rental"]["status"] == "OVERDUE"
    assert held["rental"]["releaseAt"] == datetime(2026, 3, 7, 10, tzinfo=UTC)
    assert _movements(entries) == ["RENTAL_OVERDUE"]
    assert [e["eventType"] for e in _events(entries)] == ["NumberRentalOverdue"]

    await ledger.apply("acc", 500, Movement.TOP_UP, "payment:p1")
    clock.at = datetime(2026, 3, 2, tzinfo=UTC)
    await rental.collect_once()
    assert numbers.numbers[key]["rental"]["status"] == "CURRENT"
    assert _movements(entries) == ["RENTAL_OVERDUE", "TOP_UP", "NUMBER_RENTAL"]
    assert await ledger.balance("acc") == 400


async def test_catching_up_stops_at_the_first_period_the_balance_cannot_pay() -> None:
    rental, _, entries, numbers, clock, key = await _world(balance=500)
    clock.at = datetime(2026, 4, 1, tzinfo=UTC)  # periods of 28 Feb and 31 Mar started
    await rental.collect_once()
    assert _movements(entries) == ["NUMBER_RENTAL", "RENTAL_OVERDUE"]
    cursor = numbers.numbers[key]["rental"]
    assert (cursor["status"], cursor["paidPeriods"]) == ("OVERDUE", 2)
    assert cursor["dueAt"] == datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert cursor["releaseAt"] == datetime(2026, 4, 7, 10, tzinfo=UTC)


async def test_a_number_unpaid_past_the_grace_period_is_released_once() -> None:
    rental, ledger, entries, numbers, clock, key = await _world(balance=200)
    clock.at = datetime(2026, 2, 28, 11, 0, tzinfo=UTC)
    await rental.collect_once()
    clock.at = datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    await asyncio.gather(rental.collect_once(), rental.collect_once())
    await rental.collect_once()
    assert numbers.numbers[key]["leaseState"] is None
    assert numbers.freed == [key]
    assert _movements(entries) == ["RENTAL_OVERDUE", "RENTAL_RELEASE"]
    released = _events(entries)[-1]
    assert released["eventType"] == "NumberReleased"
    assert released["reason"] == "RENTAL_UNPAID"
    assert await ledger.balance("acc") == 200  # nothing taken for the unpaid month


async def test_a_release_interrupted_after_its_ledger_entry_is_finished_not_charged() -> None:
    rental, ledger, entries, numbers, clock, key = await _world(balance=200)
    clock.at = datetime(2026, 2, 28, 11, 0, tzinfo=UTC)
    await rental.collect_once()
    clock.at = datetime(2026, 3, 8, tzinfo=UTC)
    real_free = numbers.free

    async def crash(number: dict[str, object]) -> None:
        raise RuntimeError("process died")

    numbers.free = crash  # type: ignore[method-assign]
    await rental.collect_once()
    numbers.free = real_free  # type: ignore[method-assign]
    await ledger.apply("acc", 5000, Movement.TOP_UP, "payment:late")
    await rental.collect_once()
    assert numbers.numbers[key]["leaseState"] is None
    assert "NUMBER_RENTAL" not in _movements(entries)


async def test_a_short_configured_period_repeats_the_charge_every_period() -> None:
    rental, _, entries, _, clock, _ = await _world(balance=1000, period=timedelta(seconds=2))
    clock.at = LEASED_AT + timedelta(seconds=5)
    await rental.collect_once()
    assert _movements(entries) == ["NUMBER_RENTAL", "NUMBER_RENTAL"]


async def test_a_number_its_owner_released_during_the_pass_is_not_charged() -> None:
    rental, _, entries, numbers, clock, key = await _world(balance=1000)
    stale = dict(numbers.numbers[key])  # what the pass read just before the owner released it
    numbers.numbers[key].update(leaseState=None, accountId=None)

    async def due(now: datetime) -> AsyncIterator[dict[str, object]]:
        yield stale

    numbers.due = due  # type: ignore[method-assign]
    clock.at = datetime(2026, 3, 1, tzinfo=UTC)
    await rental.collect_once()
    assert _movements(entries) == []


async def test_the_rental_task_is_supervised_its_death_fails_liveness_invariant_10() -> None:
    supervisor = Supervisor("number-inventory")
    entries = FakeLedgerEntries()
    rental = Rental(
        FakeRentalNumbers(),
        Ledger(entries, 0),
        RentalTerms(grace=GRACE),
        clock=Clock(LEASED_AT),
        supervisor=supervisor,
    )
    await rental.start()
    assert supervisor.running(TASK)
    assert supervisor.kill(TASK)
    for _ in range(100):  # the cancellation lands within a few loop turns
        if not supervisor.alive:
            break
        await asyncio.sleep(0)
    assert supervisor.died() == {TASK: "cancelled"}
    await supervisor.stop_all()


def test_number_details_show_the_rental_of_the_current_lease_only() -> None:
    due = datetime(2026, 2, 28, 10, tzinfo=UTC)
    doc = {
        "_id": new_number_key(),
        "number": "+41793026731",
        "country": "CH",
        "countryName": "Switzerland",
        "type": "VIRTUAL_LONG_NUMBER",
        "capabilities": ["VOICE"],
        "setupPrice": 100,
        "initialMonthPrice": 200,
        "pricePerMonth": 300,
        "currency": "EUR",
        "accountId": "acc",
        "leaseState": "LEASED",
        "leasedAt": LEASED_AT,
    }
    fresh = number_response(doc, VoiceSetups())
    assert (fresh.rental_status, fresh.next_rental_at) == ("CURRENT", None)
    overdue = {
        "leasedAt": LEASED_AT,
        "paidPeriods": 1,
        "dueAt": due,
        "status": "OVERDUE",
        "releaseAt": due + GRACE,
    }
    shown = number_response({**doc, "rental": overdue}, VoiceSetups())
    body = shown.model_dump(mode="json", by_alias=True)
    assert body["rentalStatus"] == "OVERDUE"
    assert body["nextRentalAt"] == "2026-02-28T10:00:00Z"
    assert body["rentalReleaseAt"] == "2026-03-07T10:00:00Z"
    earlier_lease = {**overdue, "leasedAt": LEASED_AT - timedelta(days=90)}
    assert number_response({**doc, "rental": earlier_lease}, VoiceSetups()).rental_status == (
        "CURRENT"
    )
