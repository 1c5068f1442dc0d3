"""Balance, top-ups with Idempotency-Key, and the refusal when the balance is too small."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.number_inventory.inventory import Inventory, service_exception

pytestmark = pytest.mark.integration


async def test_top_up_is_pending_until_the_operator_settles_it(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=1)
    key = uuid.uuid4().hex
    headers = {**tenant.headers, "Idempotency-Key": key}

    first = await inventory.http.post(
        "/account/1/payments", json={"amount": 10.25}, headers=headers
    )
    assert first.status_code == 201, first.text
    payment = first.json()
    assert (payment["status"], payment["amount"]) == ("PENDING", 10.25)
    assert await inventory.balance(tenant) == 1  # invariant 9: nothing credits before settling
    again = await inventory.http.post(
        "/account/1/payments", json={"amount": 10.25}, headers=headers
    )
    assert again.status_code == 201
    assert again.json()["paymentId"] == payment["paymentId"]
    assert again.headers["Idempotent-Replayed"] == "true"
    reused = await inventory.http.post("/account/1/payments", json={"amount": 5}, headers=headers)
    assert reused.status_code == 409
    assert "different amount" in service_exception(reused)["text"]

    settle = f"/admin/1/payments/{payment['paymentId']}/settle"
    for _ in range(2):  # settling twice credits once
        settled = await inventory.http.post(settle, json={}, headers=inventory.admin)
        assert settled.status_code == 200, settled.text
        assert settled.json()["status"] == "SETTLED"
    assert await inventory.balance(tenant) == 11.25
    listed = await inventory.http.get(
        "/account/1/payments", params={"status": "SETTLED"}, headers=tenant.headers
    )
    assert [p["paymentId"] for p in listed.json()["payments"]] == [payment["paymentId"]]
    failed = await inventory.http.post(
        f"/admin/1/payments/{payment['paymentId']}/fail",
        json={"reason": "too late"},
        headers=inventory.admin,
    )
    assert failed.status_code == 409
    assert "refund" in service_exception(failed)["text"]


async def test_a_customer_cannot_settle_their_own_payment(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=0)
    requested = await inventory.http.post(
        "/account/1/payments", json={"amount": 1000000}, headers=tenant.headers
    )
    payment_id = requested.json()["paymentId"]
    settle = f"/admin/1/payments/{payment_id}/settle"
    for headers in (tenant.headers, {"Authorization": f"Admin {tenant.api_key}"}, {}):
        refused = await inventory.http.post(settle, json={}, headers=headers)
        assert refused.status_code == 401, refused.text
    assert await inventory.balance(tenant) == 0


async def test_top_up_amount_must_be_positive_whole_cents(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=1)
    for amount in (0, -5, 1.001, "ten"):
        reply = await inventory.http.post(
            "/account/1/payments", json={"amount": amount}, headers=tenant.headers
        )
        assert reply.status_code == 400, (amount, reply.text)
        assert "amount" in service_exception(reply)["validationErrors"]
    assert await inventory.balance(tenant) == 1


async def test_too_small_a_balance_is_refused_with_what_is_missing(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=2.5)
    prefix, (number,) = await inventory.fresh_numbers(["VOICE"], setup="1.00", first_month="2.00")

    refused = await inventory.lease(tenant, number.number_key)
    assert refused.status_code == 402
    error = service_exception(refused)
    assert error["messageId"] == "INSUFFICIENT_FUNDS"
    assert "3.00 EUR" in error["text"]
    assert "at least 0.50 EUR" in error["text"]
    assert "POST /account/1/payments" in error["text"]
    assert await inventory.balance(tenant) == 2.5
    free = await inventory.http.get(
        "/numbers/1/numbers/available", params={"number": prefix}, headers=tenant.headers
    )
    assert free.json()["numberCount"] == 1  # the claim was undone

    await inventory.top_up(tenant, 0.5)
    assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    assert await inventory.balance(tenant) == 0
