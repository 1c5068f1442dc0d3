"""Who may call what: admin token on /admin/1/, API keys on the public API."""

from __future__ import annotations

import pytest

from tests.integration.number_inventory.inventory import Inventory, service_exception
from tests.support import eventually

pytestmark = pytest.mark.integration


async def test_admin_endpoints_need_the_admin_token(inventory: Inventory) -> None:
    body = {"name": "x", "currency": "EUR", "balance": 1}
    for headers in (
        {},
        {"Authorization": "Admin wrong-token-0123456789"},
        inventory.admin
        | {"Authorization": inventory.admin["Authorization"].replace("Admin", "App")},
    ):
        reply = await inventory.http.post("/admin/1/accounts", json=body, headers=headers)
        assert reply.status_code == 401
        assert service_exception(reply)["messageId"] == "UNAUTHORIZED"


async def test_public_api_needs_a_known_key(inventory: Inventory) -> None:
    for headers in ({}, {"Authorization": "App not-a-key"}, {"Authorization": "Basic abc"}):
        for path in ("/numbers/1/numbers", "/numbers/1/numbers/available", "/account/1/balance"):
            reply = await inventory.http.get(path, headers=headers)
            assert reply.status_code == 401, (path, headers)
            assert service_exception(reply)["messageId"] == "UNAUTHORIZED"


async def test_a_revoked_key_stops_working_and_keys_are_per_account(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=3)
    second = await inventory.http.post(
        f"/admin/1/accounts/{tenant.account_id}/api-keys", headers=inventory.admin
    )
    assert second.status_code == 201
    account = await inventory.http.get(
        f"/admin/1/accounts/{tenant.account_id}", headers=inventory.admin
    )
    assert account.json()["balance"] == 3
    assert len(account.json()["apiKeyIds"]) == 2
    assert tenant.api_key not in account.text  # only ids and hashes are kept

    revoked = await inventory.http.delete(
        f"/admin/1/accounts/{tenant.account_id}/api-keys/{second.json()['keyId']}",
        headers=inventory.admin,
    )
    assert revoked.status_code == 204

    async def refused() -> bool:
        reply = await inventory.http.get(
            "/account/1/balance", headers={"Authorization": f"App {second.json()['apiKey']}"}
        )
        return reply.status_code == 401

    await eventually(refused, timeout=20, what="the revoked key is refused")
    assert await inventory.balance(tenant) == 3
