"""Lease → list → read → update → release, and what other accounts can see of it."""

from __future__ import annotations

import pytest

from tests.integration.number_inventory.inventory import Inventory, service_exception

pytestmark = pytest.mark.integration


async def test_lease_list_get_update_release(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=20)
    prefix, (number,) = await inventory.fresh_numbers(
        ["SMS|VOICE"], setup="1.50", first_month="2.25"
    )

    leased = await inventory.http.post(
        "/numbers/1/numbers",
        json={"numberKey": number.number_key, "applicationId": "app-1"},
        headers=tenant.headers,
    )
    assert leased.status_code == 200, leased.text
    body = leased.json()
    assert body["numberKey"] == number.number_key
    assert body["number"] == number.digits
    assert body["applicationId"] == "app-1"
    assert body["voiceSetup"] is None
    assert await inventory.balance(tenant) == 20 - 1.50 - 2.25

    owned = await inventory.http.get("/numbers/1/numbers", headers=tenant.headers)
    assert owned.status_code == 200
    assert owned.json()["numberCount"] == 1
    assert [n["numberKey"] for n in owned.json()["numbers"]] == [number.number_key]
    filtered = await inventory.http.get(
        "/numbers/1/numbers", params={"number": "999999999"}, headers=tenant.headers
    )
    assert filtered.json() == {"numbers": [], "numberCount": 0}

    available = await inventory.http.get(
        "/numbers/1/numbers/available", params={"number": prefix}, headers=tenant.headers
    )
    assert available.json()["numberCount"] == 0

    path = f"/numbers/1/numbers/{number.number_key}"
    updated = await inventory.http.put(
        path, json={"applicationId": "app-2", "entityId": "ent-2"}, headers=tenant.headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["applicationId"], updated.json()["entityId"]) == ("app-2", "ent-2")
    fetched = await inventory.http.get(path, headers=tenant.headers)
    assert fetched.json()["entityId"] == "ent-2"
    missing_app = await inventory.http.put(path, json={"entityId": "x"}, headers=tenant.headers)
    assert missing_app.status_code == 400
    assert "applicationId" in service_exception(missing_app)["validationErrors"]

    released = await inventory.http.delete(path, headers=tenant.headers)
    assert released.status_code == 204
    assert (await inventory.http.get(path, headers=tenant.headers)).status_code == 404
    assert (await inventory.http.delete(path, headers=tenant.headers)).status_code == 404
    back = await inventory.http.get(
        "/numbers/1/numbers/available", params={"number": prefix}, headers=tenant.headers
    )
    assert back.json()["numberCount"] == 1
    assert back.json()["numbers"][0]["applicationId"] is None


async def test_lease_by_number_with_or_without_plus(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=20)
    _, (first, second) = await inventory.fresh_numbers(["VOICE", "VOICE"])
    for number, written in ((first, first.e164), (second, second.digits)):
        reply = await inventory.http.post(
            "/numbers/1/numbers", json={"number": written}, headers=tenant.headers
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["numberKey"] == number.number_key


async def test_purchase_request_must_name_one_number(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=20)
    for body in ({}, {"numberKey": "A" * 32, "number": "41793026731"}):
        reply = await inventory.http.post("/numbers/1/numbers", json=body, headers=tenant.headers)
        assert reply.status_code == 400
        assert "numberKey" in service_exception(reply)["validationErrors"]
    bad = await inventory.http.post(
        "/numbers/1/numbers", json={"number": "12345"}, headers=tenant.headers
    )
    assert bad.status_code == 400
    assert "number" in service_exception(bad)["validationErrors"]
    unknown = await inventory.lease(tenant, "F" * 32)
    assert unknown.status_code == 404
    assert "/numbers/1/numbers/available" in service_exception(unknown)["text"]


async def test_other_accounts_cannot_see_or_touch_a_number(inventory: Inventory) -> None:
    owner = await inventory.tenant(balance=20)
    other = await inventory.tenant(balance=20)
    _, (number,) = await inventory.fresh_numbers(["VOICE"])
    assert (await inventory.lease(owner, number.number_key)).status_code == 200

    path = f"/numbers/1/numbers/{number.number_key}"
    assert (await inventory.http.get(path, headers=other.headers)).status_code == 404
    put = await inventory.http.put(path, json={"applicationId": "mine"}, headers=other.headers)
    assert put.status_code == 404
    assert (await inventory.http.delete(path, headers=other.headers)).status_code == 404
    listed = await inventory.http.get("/numbers/1/numbers", headers=other.headers)
    assert listed.json()["numberCount"] == 0
    taken = await inventory.lease(other, number.number_key)
    assert taken.status_code == 409
    assert service_exception(taken)["messageId"] == "CONFLICT"

    still = await inventory.http.get(path, headers=owner.headers)
    assert still.status_code == 200
    assert still.json()["applicationId"] is None
    assert await inventory.balance(other) == 20
