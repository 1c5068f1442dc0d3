"""Accounts, numbers and targets the console's tests need, made through the public API."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.e2e.journey import Customer, fresh_number, new_customer
from tests.support import unique

CONSOLE = "/console"


async def pool_number(admin: httpx.AsyncClient, price: str = "1.00") -> str:
    """A fresh number in the pool (not leased), at `price` for setup and for the first month."""
    number = fresh_number()
    csv = (
        "number,country,type,capabilities,setupPrice,initialMonthPrice,pricePerMonth,"
        f"currency,network\n{number},DE,VIRTUAL_LONG_NUMBER,VOICE|SMS,{price},{price},{price},"
        "EUR,console\n"
    )
    imported = await admin.post(
        "/admin/1/numbers/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    return number


async def customer_with_key(
    base_url: str, admin: httpx.AsyncClient, balance: float
) -> tuple[Customer, str]:
    customer = await new_customer(base_url, admin, balance=balance)
    key = str(customer.api.headers["Authorization"]).removeprefix("App ")
    return customer, key


async def sign_in(page: Page, base_url: str, key: str) -> None:
    await page.goto(f"{base_url}{CONSOLE}/sign-in")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in")


async def targets(customer: Customer) -> dict[str, str]:
    """One of each target a voice action can name: masking config, calls configuration, IVR."""
    api = customer.api
    config = await api.post("/calls/1/configurations", json={"name": unique("cfg")})
    assert config.status_code == 201, config.text
    scenario = await api.post(
        "/voice/ivr/1/scenarios", json={"name": unique("ivr"), "script": [{"say": "Hello"}]}
    )
    assert scenario.status_code == 200, scenario.text
    masking = await api.post(
        "/voice/masking/2/config",
        json={"name": unique("mask").replace("-", " "), "callbackUrl": "http://127.0.0.1:9/cb"},
    )
    assert masking.status_code in {200, 201}, masking.text
    return {
        "callsConfigurationId": config.json()["id"],
        "scenarioKey": scenario.json()["id"],
        "voiceNumberMaskingConfigKey": masking.json()["key"],
    }
