"""The console's security properties, through nginx against the running services: CSRF, session
fixation, sign-out, another account's number, route or scenario (invariant 5), and the key in no
page or log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.console.accounts import CONSOLE, customer_with_key
from tests.endpoints import Endpoints
from tests.support import REPO_ROOT

pytestmark = pytest.mark.e2e

COOKIE = "cp_console"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LOGS = REPO_ROOT / ".cache/run/logs"


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF token in {page.request.url}"
    return found.group(1)


@pytest.fixture
async def browser_like(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=30) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await client.get(f"{CONSOLE}/sign-in")
    return await client.post(
        f"{CONSOLE}/sign-in", data={"csrf": csrf_of(form), "key": key}, follow_redirects=False
    )


async def test_signing_in_rotates_the_session_id_so_a_planted_id_is_worthless(
    endpoints: Endpoints, admin: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    _, key = await customer_with_key(endpoints.base_url, admin, balance=10)
    await browser_like.get(f"{CONSOLE}/sign-in")
    planted = browser_like.cookies[COOKIE]
    signed_in = await sign_in(browser_like, key)
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console/" in cookie
    assert browser_like.cookies[COOKIE] != planted, "session fixation: the id did not change"
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=30) as attacker:
        attacker.cookies.set(COOKIE, planted)
        reply = await attacker.get(f"{CONSOLE}/overview", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"].endswith("/sign-in")


async def test_a_form_without_this_sessions_csrf_token_is_refused(
    endpoints: Endpoints, admin: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    customer, key = await customer_with_key(endpoints.base_url, admin, balance=10)
    await sign_in(browser_like, key)
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=30) as other:
        foreign_token = csrf_of(await other.get(f"{CONSOLE}/sign-in"))
    for data in ({"amount": "5"}, {"amount": "5", "csrf": foreign_token}):
        refused = await browser_like.post(f"{CONSOLE}/payments", data=data)
        assert refused.status_code == 403, data
    payments = (await customer.api.get("/account/1/payments")).json()
    assert payments["paymentCount"] == 0, "a refused form must not have reached the API"
    page = await browser_like.get(f"{CONSOLE}/overview")
    accepted = await browser_like.post(
        f"{CONSOLE}/payments", data={"amount": "5", "csrf": csrf_of(page)}
    )
    assert accepted.status_code == 303, accepted.text
    assert (await customer.api.get("/account/1/payments")).json()["paymentCount"] == 1


async def test_another_accounts_number_is_not_found_invariant_5(
    endpoints: Endpoints, admin: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    owner, _ = await customer_with_key(endpoints.base_url, admin, balance=100)
    number_key, _ = await owner.lease_fresh_number(admin)
    _, stranger_key = await customer_with_key(endpoints.base_url, admin, balance=100)
    await sign_in(browser_like, stranger_key)
    page = await browser_like.get(f"{CONSOLE}/numbers/{number_key}")
    assert page.status_code == 404
    assert number_key not in page.text
    token = csrf_of(page)
    changed = await browser_like.post(
        f"{CONSOLE}/numbers/{number_key}/voice",
        data={"csrf": token, "actionType": "VOICE_FORWARD_TO_CONVERSATIONS", "version": "0"},
    )
    assert changed.status_code == 404
    released = await browser_like.post(
        f"{CONSOLE}/numbers/{number_key}/release", data={"csrf": token, "confirm": "yes"}
    )
    assert released.status_code == 404
    still = await owner.api.get(f"/numbers/1/numbers/{number_key}")
    assert still.status_code == 200, "the owner's number must be untouched"
    assert (await owner.api.get(f"/numbers/2/numbers/{number_key}/voice")).status_code == 404


async def test_sign_out_ends_the_session(
    endpoints: Endpoints, admin: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    _, key = await customer_with_key(endpoints.base_url, admin, balance=10)
    await sign_in(browser_like, key)
    signed_in = browser_like.cookies[COOKIE]
    page = await browser_like.get(f"{CONSOLE}/overview")
    await browser_like.post(f"{CONSOLE}/sign-out", data={"csrf": csrf_of(page)})
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=30) as replay:
        replay.cookies.set(COOKIE, signed_in)
        reply = await replay.get(f"{CONSOLE}/overview", follow_redirects=False)
    assert reply.status_code == 303


async def test_the_key_is_in_no_page_and_no_log_line(
    endpoints: Endpoints, admin: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    customer, key = await customer_with_key(endpoints.base_url, admin, balance=100)
    number_key, _ = await customer.lease_fresh_number(admin)
    wrong = await sign_in(browser_like, key + "x")
    assert wrong.status_code == 401
    assert key not in wrong.text, "a failed sign-in must not echo the key back"
    await sign_in(browser_like, key)
    pages = ["/overview", "/numbers", f"/numbers/{number_key}", "/calls", "/numbers?search=1"]
    pages += ["/routes", "/ivr", "/calls-configurations", "/masking", "/masking/credentials"]
    for path in pages:
        page = await browser_like.get(f"{CONSOLE}{path}")
        assert page.status_code == 200, path
        assert key not in page.text, path
        assert key not in str(page.headers), path
    if endpoints.source == "local":  # the local stack's logs are files we can read
        for log in LOGS.glob("*.log"):
            assert key not in log.read_text(errors="replace"), f"the key is in {log.name}"


async def test_another_accounts_route_and_scenario_are_not_found_invariant_5(
    endpoints: Endpoints, admin: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    owner, _ = await customer_with_key(endpoints.base_url, admin, balance=10)
    route = await owner.api.post(
        "/callrouting/1/routes",
        json={
            "name": "owners route",
            "destinations": [
                {"type": "ENDPOINT", "value": {"type": "PHONE", "phoneNumber": "41793026727"}}
            ],
        },
    )
    assert route.status_code == 201, route.text
    scenario = await owner.api.post(
        "/voice/ivr/1/scenarios", json={"name": "owners ivr", "script": [{"say": "Hi"}]}
    )
    assert scenario.status_code == 200, scenario.text
    _, stranger_key = await customer_with_key(endpoints.base_url, admin, balance=10)
    await sign_in(browser_like, stranger_key)
    token = csrf_of(await browser_like.get(f"{CONSOLE}/routes"))
    for path in (f"/routes/{route.json()['id']}", f"/ivr/{scenario.json()['id']}"):
        page = await browser_like.get(f"{CONSOLE}{path}")
        assert page.status_code == 404, path
        assert "owners" not in page.text, path
        assert (await browser_like.get(f"{CONSOLE}{path}/delete")).status_code == 404, path
        edited = await browser_like.post(
            f"{CONSOLE}{path}", data={"csrf": token, "name": "taken over", "script": "[]"}
        )
        assert edited.status_code == 404, path
        deleted = await browser_like.post(
            f"{CONSOLE}{path}/delete", data={"csrf": token, "confirm": "yes"}
        )
        assert deleted.status_code == 404, path
    kept = await owner.api.get(f"/callrouting/1/routes/{route.json()['id']}")
    assert kept.json()["name"] == "owners route", "the owner's route must be untouched"
    kept = await owner.api.get(f"/voice/ivr/1/scenarios/{scenario.json()['id']}")
    assert kept.json()["name"] == "owners ivr", "the owner's scenario must be untouched"
