"""The ledger's rules without a server: one entry per reference, never below zero, the
low-balance alert once per crossing (invariant 9)."""

from __future__ import annotations

import asyncio

import pytest

from number_inventory.ledger import Applied, Ledger, Movement, Refused
from tests.unit.number_inventory.fakes import FakeLedgerEntries

pytestmark = pytest.mark.unit


async def _ledger(balance: int = 1000, threshold: int = 500) -> tuple[Ledger, FakeLedgerEntries]:
    entries = FakeLedgerEntries()
    ledger = Ledger(entries, threshold)
    await ledger.open("acc", "EUR", balance)
    return ledger, entries


async def test_a_reference_is_applied_once_even_when_repeated() -> None:
    ledger, entries = await _ledger()
    first = await ledger.apply("acc", 250, Movement.TOP_UP, "payment:p1")
    again = await ledger.apply("acc", 250, Movement.TOP_UP, "payment:p1")
    assert isinstance(first, Applied)
    assert isinstance(again, Applied)
    assert not first.replayed
    assert again.replayed
    assert again.entry["_id"] == first.entry["_id"]
    assert await ledger.balance("acc") == 1250
    assert len(entries.of("acc")) == 2


async def test_concurrent_applies_of_one_reference_credit_once_invariant_9() -> None:
    ledger, entries = await _ledger()
    results = await asyncio.gather(
        *(ledger.apply("acc", 100, Movement.CALL_CHARGE, "call:c1") for _ in range(20))
    )
    assert sum(1 for r in results if isinstance(r, Applied) and not r.replayed) == 1
    assert await ledger.balance("acc") == 1100
    assert [e["reference"] for e in entries.of("acc")].count("call:c1") == 1


async def test_concurrent_debits_never_take_the_balance_below_zero() -> None:
    ledger, _ = await _ledger(balance=1000)
    results = await asyncio.gather(
        *(ledger.apply("acc", -300, Movement.NUMBER_PURCHASE, f"purchase:{i}") for i in range(8))
    )
    assert sum(isinstance(r, Applied) for r in results) == 3
    assert sum(isinstance(r, Refused) for r in results) == 5
    assert await ledger.balance("acc") == 100


async def test_a_debit_the_balance_does_not_cover_is_refused_and_leaves_no_entry() -> None:
    ledger, entries = await _ledger(balance=100)
    refused = await ledger.apply("acc", -101, Movement.NUMBER_PURCHASE, "purchase:x")
    assert refused == Refused(balance=100, currency="EUR")
    assert len(entries.of("acc")) == 1


async def test_the_low_balance_alert_rides_on_the_crossing_entry_only() -> None:
    ledger, entries = await _ledger(balance=600, threshold=500)
    await ledger.apply("acc", -50, Movement.CALL_CHARGE, "call:1")  # 550: above
    crossing = await ledger.apply("acc", -100, Movement.CALL_CHARGE, "call:2")  # 450: crosses
    await ledger.apply("acc", -100, Movement.CALL_CHARGE, "call:3")  # 350: still below
    assert isinstance(crossing, Applied)
    assert entries.published == [crossing.entry["_id"]]
