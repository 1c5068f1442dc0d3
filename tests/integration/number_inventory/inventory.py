"""Test helpers for number-inventory over its public HTTP API (through nginx): fresh accounts
with working keys and fresh pool numbers, so no test shares state with another."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import phonenumbers

from tests.support import eventually

SERVICES_ENV = Path(__file__).resolve().parents[3] / "deploy/local/services.env"
CSV_HEADER = (
    "number,country,type,capabilities,setupPrice,initialMonthPrice,pricePerMonth,currency\n"
)


def admin_token() -> str:
    token = os.environ.get("CALLPLANE_TEST_ADMIN_TOKEN")
    if token:
        return token
    for line in SERVICES_ENV.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "ADMIN_TOKEN":
            return value.strip()
    raise RuntimeError("set CALLPLANE_TEST_ADMIN_TOKEN or ADMIN_TOKEN in deploy/local/services.env")


@dataclass(frozen=True)
class Tenant:
    account_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"App {self.api_key}"}


@dataclass(frozen=True)
class PoolNumber:
    number_key: str
    e164: str

    @property
    def digits(self) -> str:
        return self.e164.removeprefix("+")


class Inventory:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.admin = {"Authorization": f"Admin {admin_token()}"}

    async def tenant(self, balance: float, currency: str = "EUR") -> Tenant:
        created = await self.http.post(
            "/admin/1/accounts",
            json={"name": "it-inventory", "currency": currency, "balance": balance},
            headers=self.admin,
        )
        assert created.status_code == 201, created.text
        account_id = created.json()["accountId"]
        issued = await self.http.post(
            f"/admin/1/accounts/{account_id}/api-keys", headers=self.admin
        )
        assert issued.status_code == 201, issued.text
        tenant = Tenant(account_id=account_id, api_key=issued.json()["apiKey"])

        async def key_works() -> bool:
            reply = await self.http.get("/account/1/balance", headers=tenant.headers)
            return reply.status_code == 200

        await eventually(key_works, timeout=20, what="the new API key is accepted")
        return tenant

    async def balance(self, tenant: Tenant) -> float:
        reply = await self.http.get("/account/1/balance", headers=tenant.headers)
        assert reply.status_code == 200, reply.text
        return float(reply.json()["balance"])

    async def top_up(self, tenant: Tenant, amount: float) -> dict[str, Any]:
        """Request a payment as the customer and settle it as the operator."""
        requested = await self.http.post(
            "/account/1/payments", json={"amount": amount}, headers=tenant.headers
        )
        assert requested.status_code == 201, requested.text
        payment_id = requested.json()["paymentId"]
        settled = await self.http.post(
            f"/admin/1/payments/{payment_id}/settle", json={}, headers=self.admin
        )
        assert settled.status_code == 200, settled.text
        result: dict[str, Any] = settled.json()
        return result

    async def import_csv(self, text: str) -> dict[str, Any]:
        reply = await self.http.post(
            "/admin/1/numbers/import",
            content=text.encode(),
            headers={**self.admin, "Content-Type": "text/csv"},
        )
        assert reply.status_code == 200, reply.text
        result: dict[str, Any] = reply.json()
        return result

    async def fresh_numbers(
        self,
        capabilities: list[str],
        *,
        setup: str = "1.00",
        first_month: str = "2.00",
    ) -> tuple[str, list[PoolNumber]]:
        """One new German mobile number per entry of `capabilities` (e.g. "SMS|VOICE"), all
        sharing a random digit prefix nothing else uses; returns (prefix, numbers)."""
        for _ in range(5):
            prefix = f"49151{secrets.randbelow(10**5):05d}"
            numbers = [f"+{prefix}{i:03d}" for i in range(len(capabilities))]
            assert all(phonenumbers.is_valid_number(phonenumbers.parse(n)) for n in numbers)
            rows = [
                f"{n},DE,VIRTUAL_LONG_NUMBER,{caps},{setup},{first_month},{first_month},EUR\n"
                for n, caps in zip(numbers, capabilities, strict=True)
            ]
            report = await self.import_csv(CSV_HEADER + "".join(rows))
            assert report["errors"] == [], report
            if not report["existing"]:
                by_number = {r["number"]: r["numberKey"] for r in report["imported"]}
                return prefix, [PoolNumber(by_number[n], n) for n in numbers]
        raise AssertionError("could not find an unused number prefix in 5 tries")

    async def lease(self, tenant: Tenant, number_key: str) -> httpx.Response:
        return await self.http.post(
            "/numbers/1/numbers", json={"numberKey": number_key}, headers=tenant.headers
        )


def service_exception(reply: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = reply.json()["requestError"]["serviceException"]
    return body
