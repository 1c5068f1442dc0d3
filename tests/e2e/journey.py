"""A customer's journey through the public API, for end-to-end tests: an account with a key, a
freshly imported number leased by it, and a way to wait until every service knows the key."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx
import phonenumbers

from tests.support import REPO_ROOT, eventually, unique


def dev_setting(name: str) -> str:
    for line in (REPO_ROOT / "deploy/local/services.env").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise KeyError(name)


def fresh_number() -> str:
    """A valid German number that no earlier run has imported (E.164)."""
    while True:
        candidate = f"+4930{random.randint(10_000_000, 99_999_999)}"  # noqa: S311 - not secret
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate


@dataclass
class Customer:
    account_id: str
    api: httpx.AsyncClient

    async def lease_fresh_number(self, admin: httpx.AsyncClient) -> tuple[str, str]:
        number = fresh_number()
        csv = (
            "number,country,type,capabilities,setupPrice,initialMonthPrice,pricePerMonth,"
            f"currency,network\n{number},DE,VIRTUAL_LONG_NUMBER,VOICE|SMS,1.00,1.00,1.00,EUR,e2e\n"
        )
        imported = await admin.post(
            "/admin/1/numbers/import", content=csv, headers={"Content-Type": "text/csv"}
        )
        assert imported.status_code == 200, imported.text
        leased = await self.api.post("/numbers/1/numbers", json={"number": number})
        assert leased.status_code == 200, leased.text
        return leased.json()["numberKey"], number


async def new_customer(
    base_url: str, admin: httpx.AsyncClient, *, balance: float = 100
) -> Customer:
    created = await admin.post(
        "/admin/1/accounts", json={"name": unique("e2e"), "currency": "EUR", "balance": balance}
    )
    assert created.status_code in {200, 201}, created.text
    account_id = created.json()["accountId"]
    issued = await admin.post(f"/admin/1/accounts/{account_id}/api-keys")
    assert issued.status_code in {200, 201}, issued.text
    api = httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"App {issued.json()['apiKey']}"}, timeout=30
    )

    async def every_service_knows_the_key() -> bool:
        probes = ("/account/1/balance", "/callrouting/1/routes", "/voice/masking/2/config")
        answers = [(await api.get(path)).status_code for path in probes]
        return all(code == 200 for code in answers)

    await eventually(every_service_knows_the_key, timeout=20, what="the key works everywhere")
    return Customer(account_id, api)


def admin_client(base_url: str) -> httpx.AsyncClient:
    token = dev_setting("ADMIN_TOKEN")
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Admin {token}"}, timeout=30
    )
