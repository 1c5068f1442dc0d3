"""Top-ups as payments, against in-memory repositories: nothing is credited before settlement,
settle/fail/refund are idempotent by payment id and exclude each other (invariant 9)."""

from __future__ import annotations

import pytest

from number_inventory.ledger import Ledger, Movement
from number_inventory.payments import (
    IdempotencyConflictError,
    PaymentMismatchError,
    PaymentNotFoundError,
    Payments,
    PaymentStateError,
    PaymentStatus,
)
from tests.unit.number_inventory.fakes import FakeLedgerEntries, FakePaymentRecords

pytestmark = pytest.mark.unit


async def _payments(balance: int = 0) -> tuple[Payments, Ledger, FakeLedgerEntries]:
    entries = FakeLedgerEntries()
    ledger = Ledger(entries, 0)
    await ledger.open("acc", "EUR", balance)
    await ledger.open("other", "EUR", 0)
    return Payments(FakePaymentRecords(), ledger), ledger, entries


async def test_a_requested_payment_is_pending_and_credits_nothing() -> None:
    payments, ledger, _ = await _payments()
    requested = await payments.request("acc", "EUR", 10_000_000_000, None)
    assert requested.payment["status"] == PaymentStatus.PENDING
    assert await ledger.balance("acc") == 0


async def test_settling_credits_once_however_often_it_is_repeated() -> None:
    payments, ledger, entries = await _payments()
    payment = (await payments.request("acc", "EUR", 2000, None)).payment
    for _ in range(3):
        settled = await payments.settle(payment["_id"], amount=2000, currency="EUR")
        assert settled["status"] == PaymentStatus.SETTLED
    assert await ledger.balance("acc") == 2000
    assert [e["movement"] for e in entries.of("acc")] == ["STARTING_BALANCE", "TOP_UP"]


async def test_a_failed_payment_is_a_ledger_entry_and_can_never_be_settled() -> None:
    payments, ledger, entries = await _payments()
    payment = (await payments.request("acc", "EUR", 2000, None)).payment
    failed = await payments.fail(payment["_id"], "card declined")
    assert (failed["status"], failed["reason"]) == (PaymentStatus.FAILED, "card declined")
    assert entries.of("acc")[-1]["movement"] == Movement.PAYMENT_FAILED
    with pytest.raises(PaymentStateError):
        await payments.settle(payment["_id"])
    assert await ledger.balance("acc") == 0


async def test_a_settled_payment_cannot_fail_but_can_be_refunded_once() -> None:
    payments, ledger, _ = await _payments(balance=500)
    payment = (await payments.request("acc", "EUR", 2000, None)).payment
    await payments.settle(payment["_id"])
    with pytest.raises(PaymentStateError, match="refund"):
        await payments.fail(payment["_id"], "chargeback")
    refunded = await payments.refund(payment["_id"], "customer asked")
    await payments.refund(payment["_id"], "customer asked")
    assert refunded["status"] == PaymentStatus.REFUNDED
    assert await ledger.balance("acc") == 500
    # A re-delivered settlement does not bring the refunded payment back.
    assert (await payments.settle(payment["_id"]))["status"] == PaymentStatus.REFUNDED
    assert await ledger.balance("acc") == 500


async def test_a_refund_the_balance_no_longer_covers_is_refused() -> None:
    payments, ledger, _ = await _payments()
    payment = (await payments.request("acc", "EUR", 2000, None)).payment
    await payments.settle(payment["_id"])
    await ledger.apply("acc", -1500, Movement.NUMBER_PURCHASE, "purchase:c1")
    with pytest.raises(PaymentStateError, match="no longer covers"):
        await payments.refund(payment["_id"], "too late")


async def test_a_settlement_for_another_account_or_amount_is_refused() -> None:
    payments, ledger, _ = await _payments()
    payment = (await payments.request("acc", "EUR", 2000, None)).payment
    with pytest.raises(PaymentMismatchError, match="accountId"):
        await payments.settle(payment["_id"], account_id="other", amount=2000)
    with pytest.raises(PaymentMismatchError, match="amount"):
        await payments.settle(payment["_id"], account_id="acc", amount=2001)
    with pytest.raises(PaymentNotFoundError):
        await payments.settle("0" * 32)
    assert await ledger.balance("acc") == 0
    assert await ledger.balance("other") == 0


async def test_idempotency_key_answers_the_same_payment_and_refuses_another_amount() -> None:
    payments, _, _ = await _payments()
    first = await payments.request("acc", "EUR", 1000, "order-1")
    again = await payments.request("acc", "EUR", 1000, "order-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert first.payment["_id"] == again.payment["_id"]
    other_account = await payments.request("other", "EUR", 1000, "order-1")
    assert other_account.payment["_id"] != first.payment["_id"]
    with pytest.raises(IdempotencyConflictError, match="different amount"):
        await payments.request("acc", "EUR", 5, "order-1")


async def test_another_accounts_payment_is_not_found() -> None:
    payments, _, _ = await _payments()
    payment = (await payments.request("acc", "EUR", 1000, None)).payment
    with pytest.raises(PaymentNotFoundError):
        await payments.get(payment["_id"], "other")


async def test_a_crash_between_ledger_and_status_is_repaired_by_repeating() -> None:
    payments, ledger, _ = await _payments()
    payment = (await payments.request("acc", "EUR", 1000, None)).payment
    # The credit landed but the process died before the status was written.
    await ledger.apply("acc", 1000, Movement.TOP_UP, f"payment:{payment['_id']}")
    assert (await payments.get(payment["_id"]))["status"] == PaymentStatus.PENDING
    await payments.settle(payment["_id"])
    assert (await payments.get(payment["_id"]))["status"] == PaymentStatus.SETTLED
    assert await ledger.balance("acc") == 1000
