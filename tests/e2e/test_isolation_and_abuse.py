"""The isolation-and-abuse suite, table-driven over every public operation of every service (read
from their live OpenAPI, so a new endpoint is covered without editing this file): another
account's key gets 404 and never data (invariant 5), free credit is impossible (invariant 9),
huge and negative integers are 400, bodies over the route's limit are 413, and a burst over the
rate limit is 429 with Retry-After (invariants 8 and 10)."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.abuse import (
    SERVICES,
    Operation,
    Owner,
    body_of,
    concrete,
    owner_of_everything,
    public_operations,
)
from tests.e2e.journey import Customer, new_customer
from tests.endpoints import Endpoints
from tests.support import eventually

pytestmark = pytest.mark.e2e

HUGE = ["922337203685477580", "-1", str(10**30)]


@pytest.fixture
async def operations(endpoints: Endpoints) -> list[Operation]:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=60) as http:
        found = await public_operations(http)
    assert {o.service for o in found} == set(SERVICES)
    return found


@pytest.fixture
async def owner(endpoints: Endpoints, admin: httpx.AsyncClient) -> AsyncIterator[Owner]:
    found = await owner_of_everything(endpoints.base_url, admin)
    yield found
    await found.customer.api.aclose()


@pytest.fixture
async def stranger(endpoints: Endpoints, admin: httpx.AsyncClient) -> AsyncIterator[Customer]:
    customer = await new_customer(endpoints.base_url, admin)
    yield customer
    await customer.api.aclose()


def envelope_id(reply: httpx.Response) -> str:
    message_id: str = reply.json()["requestError"]["serviceException"]["messageId"]
    return message_id


async def test_another_accounts_key_gets_404_and_never_data_invariant_5(
    operations: list[Operation], owner: Owner, stranger: Customer
) -> None:
    leaks: list[str] = []
    wrong: list[str] = []
    for op in operations:
        path = concrete(op, owner.ids)
        reply = await stranger.api.request(op.method, path, json=body_of(op))
        leaked = [s for s in owner.secrets if s in reply.text and s not in path]
        if leaked:
            leaks.append(f"{op.name} -> {reply.status_code} shows {leaked}")
        if op.resource_parameters and reply.status_code != 404:
            wrong.append(f"{op.name} -> {reply.status_code} {reply.text[:120]}")
    assert not leaks, leaks
    assert not wrong, f"not 404 for another account's resource: {wrong}"
    # ... and nothing of the owner's changed or vanished.
    for op in operations:
        if op.method == "GET" and op.resource_parameters and "history" not in op.path:
            reply = await owner.customer.api.get(concrete(op, owner.ids))
            assert reply.status_code == 200, f"{op.name}: the owner lost it ({reply.text[:120]})"


async def test_free_credit_is_impossible_invariant_9(
    stranger: Customer, admin: httpx.AsyncClient
) -> None:
    before = (await stranger.api.get("/account/1/balance")).json()["balance"]
    requested = await stranger.api.post(
        "/account/1/payments", json={"amount": 1000000, "status": "SETTLED"}
    )
    assert requested.status_code == 201, requested.text
    payment = requested.json()
    assert payment["status"] == "PENDING"
    settle = f"/admin/1/payments/{payment['paymentId']}/settle"
    assert (await stranger.api.post(settle, json={})).status_code == 401
    too_much = await stranger.api.post("/account/1/payments", json={"amount": 10**12})
    assert too_much.status_code == 400
    for amount in (-5, 0, 1e308, "NaN"):
        refused = await stranger.api.post("/account/1/payments", json={"amount": amount})
        assert refused.status_code == 400, (amount, refused.text)
    assert (await stranger.api.get("/account/1/balance")).json()["balance"] == before
    listed = await admin.get("/admin/1/payments", params={"accountId": stranger.account_id})
    assert {p["status"] for p in listed.json()["payments"]} == {"PENDING"}


def _with_huge_integers(body: Any, huge: int) -> list[Any]:
    """One copy of `body` per integer in it, that integer replaced by `huge`."""
    variants: list[Any] = []

    def walk(node: Any, path: list[Any]) -> None:
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else []
        )
        for key, value in items:
            if isinstance(value, int) and not isinstance(value, bool):
                variant = copy.deepcopy(body)
                target = variant
                for step in path:
                    target = target[step]
                target[key] = huge
                variants.append(variant)
            else:
                walk(value, [*path, key])

    walk(body, [])
    return variants


async def test_huge_and_negative_integers_are_400_invariant_10(
    operations: list[Operation], owner: Owner
) -> None:
    wrong: list[str] = []
    checked = 0
    for op in operations:
        path = concrete(op, owner.ids)
        for name in op.integer_queries:
            for value in HUGE:
                reply = await owner.customer.api.request(
                    op.method, path, params={name: value}, json=body_of(op)
                )
                checked += 1
                if reply.status_code != 400:
                    wrong.append(f"{op.name}?{name}={value} -> {reply.status_code}")
        body = body_of(op)
        for huge in (2**63, -(2**63), 10**30):
            for variant in _with_huge_integers(body, huge):
                reply = await owner.customer.api.request(op.method, path, json=variant)
                checked += 1
                if reply.status_code != 400:
                    wrong.append(f"{op.name} {json.dumps(variant)[:80]} -> {reply.status_code}")
    assert checked > 0
    assert not wrong, wrong


async def test_bodies_over_the_route_limit_are_413_invariant_10(
    operations: list[Operation], owner: Owner
) -> None:
    wrong: list[str] = []
    for op in [o for o in operations if o.takes_body]:
        padding = "x" * (op.max_body + 1)
        content = json.dumps({"padding": padding}).encode()
        reply = await owner.customer.api.request(
            op.method,
            concrete(op, owner.ids),
            content=content,
            headers={"Content-Type": "application/json"},
        )
        if reply.status_code != 413 or envelope_id(reply) != "PAYLOAD_TOO_LARGE":
            wrong.append(f"{op.name} -> {reply.status_code}")
    assert not wrong, wrong


async def test_a_burst_over_the_rate_limit_is_429_with_retry_after_invariant_8(
    operations: list[Operation], stranger: Customer, admin: httpx.AsyncClient
) -> None:
    limits = {"requestsPerSecond": 1, "burst": 5}
    changed = await admin.put(f"/admin/1/accounts/{stranger.account_id}/limits", json=limits)
    assert changed.status_code == 200, changed.text
    for service in SERVICES:
        op = next(
            o
            for o in operations
            if o.service == service and o.method == "GET" and not o.path_parameters
        )

        async def burst(path: str = op.path) -> httpx.Response | None:
            # Every service applies the account's limits once AccountUpserted reached it.
            replies = await asyncio.gather(*(stranger.api.get(path) for _ in range(12)))
            return next((r for r in replies if r.status_code == 429), None)

        refused = await eventually(burst, timeout=20, interval=1.0, what=f"429 from {service}")
        assert envelope_id(refused) == "TOO_MANY_REQUESTS"
        assert int(refused.headers["Retry-After"]) >= 1, service
