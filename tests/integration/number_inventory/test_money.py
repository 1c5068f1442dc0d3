"""Balance, top-ups with Idempotency-Key, and the refusal when the balance is too small."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.number_inventory.inventory import Inventory, service_exception

pytestmark = pytest.mark.integration


async def test_top_up_honours_idempotency_key(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=1)
    key = uuid.uuid4().hex
    headers = {**tenant.headers, "Idempotency-Key": key}

    first = await inventory.http.post(
        "/account/1/payments", json={"amount": 10.25}, headers=headers
    )
    assert first.status_code == 201, first.text
    assert first.json()["balance"] == 11.25
    again = await inventory.http.post(
        "/account/1/payments", json={"amount": 10.25}, headers=headers
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await inventory.balance(tenant) == 11.25

    reused = await inventory.http.post("/account/1/payments", json={"amount": 5}, headers=headers)
    assert reused.status_code == 409
    assert "different amount" in service_exception(reused)["text"]

    without_key = await inventory.http.post(
        "/account/1/payments", json={"amount": 1}, headers=tenant.headers
    )
    assert without_key.status_code == 201
    assert await inventory.balance(tenant) == 12.25


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

    topped = await inventory.http.post(
        "/account/1/payments", json={"amount": 0.5}, headers=tenant.headers
    )
    assert topped.status_code == 201
    assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    assert await inventory.balance(tenant) == 0
