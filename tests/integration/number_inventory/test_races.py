"""Real concurrency against the real MongoDB-wire server: many requests at once through nginx."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.integration.number_inventory.inventory import Inventory, service_exception

pytestmark = pytest.mark.integration

RACERS = 8


async def test_accounts_racing_for_one_number_exactly_one_wins(inventory: Inventory) -> None:
    tenants = await asyncio.gather(*(inventory.tenant(balance=10) for _ in range(RACERS)))
    _, (number,) = await inventory.fresh_numbers(["VOICE"], setup="1.00", first_month="2.00")

    replies = await asyncio.gather(*(inventory.lease(t, number.number_key) for t in tenants))

    assert Counter(r.status_code for r in replies) == {200: 1, 409: RACERS - 1}
    for reply in replies:
        if reply.status_code == 409:
            assert "not available" in service_exception(reply)["text"]
    balances = [await inventory.balance(t) for t in tenants]
    winner = next(i for i, r in enumerate(replies) if r.status_code == 200)
    assert balances[winner] == 7
    assert sorted(balances) == [7] + [10] * (RACERS - 1)  # losers were never charged
    path = f"/numbers/1/numbers/{number.number_key}"
    owned = await inventory.http.get(path, headers=tenants[winner].headers)
    assert owned.status_code == 200


async def test_concurrent_purchases_never_exceed_the_balance(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=10)
    # Each costs 3.00, so the balance pays for exactly three of the eight.
    prefix, numbers = await inventory.fresh_numbers(
        ["VOICE"] * RACERS, setup="1.00", first_month="2.00"
    )

    replies = await asyncio.gather(*(inventory.lease(tenant, n.number_key) for n in numbers))

    assert Counter(r.status_code for r in replies) == {200: 3, 402: RACERS - 3}
    assert await inventory.balance(tenant) == 1
    owned = await inventory.http.get(
        "/numbers/1/numbers", params={"number": prefix}, headers=tenant.headers
    )
    assert owned.json()["numberCount"] == 3
    free = await inventory.http.get(
        "/numbers/1/numbers/available", params={"number": prefix}, headers=tenant.headers
    )
    assert free.json()["numberCount"] == RACERS - 3  # refused claims went back to the pool
