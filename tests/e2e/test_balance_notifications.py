"""`BalanceLow` delivered to the customer through the running stack (issue 15 item 5): the
account sets its notification URL (a customer on loopback), a debit takes the balance under the
threshold, and the alert arrives signed with the secret the PUT answered once, verified with the
shipped helper, also after the first attempt failed (the shared durable webhook queue retries),
and exactly once when number-inventory is killed -9 while the delivery is in flight.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from starlette.responses import JSONResponse, Response

from tests.e2e.journey import Customer, new_customer
from tests.e2e.processes import kill_9, restart
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer, answer, failing_then
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e

SIGNING_ID = "callplane-balance"  # the apiId of these notifications' Authorization header


@pytest.fixture
async def customer(endpoints: Endpoints, admin: httpx.AsyncClient) -> AsyncIterator[Customer]:
    # 6.00 EUR: one fresh number (setup 1.00 + first month 1.00) takes it under the dev
    # threshold of 5.00 (LOW_BALANCE_THRESHOLD in deploy/local/services.env).
    who = await new_customer(endpoints.base_url, admin, balance=6)
    yield who
    await who.api.aclose()


async def test_balance_low_reaches_the_notification_url_signed(
    customer: Customer, admin: httpx.AsyncClient, platform: CustomerServer
) -> None:
    path = f"/balance/{unique('low')}"
    put = await customer.api.put("/account/1/notification-url", json={"url": platform.url(path)})
    assert put.status_code == 200, put.text
    secret = put.json()["secret"]
    shown = await customer.api.get("/account/1/notification-url")
    assert shown.json() == {"url": platform.url(path)}, "the secret is answered by the PUT only"
    platform.on(path, failing_then(1, answer({})), credentials=(SIGNING_ID, secret))

    await customer.lease_fresh_number(admin)  # 6.00 - 2.00 = 4.00 < 5.00

    async def delivered() -> Any:
        got = platform.requests_to(path)
        return got[-1] if len(got) >= 2 else None

    received = await eventually(delivered, timeout=30, what="BalanceLow after a retry")
    assert received.v1_valid, "X-Callplane-Signature verifies with the secret the PUT answered"
    assert received.infobip_valid, "Authorization verifies with (callplane-balance, secret)"
    body = json.loads(received.body)
    assert (body["type"], body["accountId"]) == ("BALANCE_LOW", customer.account_id)
    assert (body["balance"], body["threshold"], body["currency"]) == (4.0, 5.0, "EUR")


async def test_operators_set_the_url_and_hostile_urls_are_refused(
    customer: Customer, admin: httpx.AsyncClient
) -> None:
    path = f"/admin/1/accounts/{customer.account_id}/notification-url"
    set_by_operator = await admin.put(path, json={"url": "https://hooks.example.com/balance"})
    assert set_by_operator.status_code == 200, set_by_operator.text
    assert set_by_operator.json()["secret"]
    shown = await customer.api.get("/account/1/notification-url")
    assert shown.json() == {"url": "https://hooks.example.com/balance"}
    for bad in ("ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/", "/relative"):
        refused = await customer.api.put("/account/1/notification-url", json={"url": bad})
        assert refused.status_code == 400, (bad, refused.text)
    missing = await admin.put(
        f"/admin/1/accounts/{unique('nobody')}/notification-url",
        json={"url": "https://hooks.example.com/balance"},
    )
    assert missing.status_code == 404
    removed = await customer.api.delete("/account/1/notification-url")
    assert removed.status_code == 204
    assert (await customer.api.get("/account/1/notification-url")).status_code == 404


def hangs_first() -> Any:
    """The first request is held open (the process is killed meanwhile), later ones answer."""

    async def behaviour(count: int) -> Response:
        if count == 1:
            await asyncio.sleep(20)  # longer than the kill takes; the sender is gone by then
        return JSONResponse({})

    return behaviour


@pytest.mark.timeout(600)
async def test_a_delivery_cut_off_by_kill_9_is_delivered_once_after_the_restart(
    customer: Customer, admin: httpx.AsyncClient, platform: CustomerServer, endpoints: Endpoints
) -> None:
    path = f"/balance/{unique('kill')}"
    put = await customer.api.put("/account/1/notification-url", json={"url": platform.url(path)})
    assert put.status_code == 200, put.text
    platform.on(path, hangs_first(), credentials=(SIGNING_ID, put.json()["secret"]))
    await customer.lease_fresh_number(admin)

    async def in_flight() -> bool:
        return len(platform.requests_to(path)) >= 1

    await eventually(in_flight, timeout=30, interval=0.05, what="the delivery in flight")
    kill_9("number-inventory")
    await restart("number-inventory", endpoints.base_url)

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
    queue = client["callplane"]["inventory_balance_notifications"]

    async def delivered() -> dict[str, Any] | None:
        return await queue.find_one({"accountId": customer.account_id, "state": "delivered"})

    try:
        # Due again once the 30 s lease of the killed holder lapsed.
        doc = await eventually(delivered, timeout=180, what="delivered after the restart")
        assert doc["attempts"] == 1
        assert await queue.count_documents({"accountId": customer.account_id}) == 1
    finally:
        await client.close()
    sent = platform.requests_to(path)
    assert len(sent) == 2, "the cut-off attempt, then exactly one delivery"
    assert all(r.v1_valid for r in sent)
