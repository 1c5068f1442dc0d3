"""The console in real headless Chromium against the running services behind nginx (no mocks):
sign in, search and lease (a 402 first, then a top-up), set each action type, a 412 conflict
from a second tab, a call's page and, for an operator, its trace as a waterfall.

Every page is checked with axe-core (no serious or critical violation) and screenshotted under
.cache/console-screenshots/.
"""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from callplane_client.publisher import CallPublisher
from callplane_shared.events import InboundCall, utc_now
from tests.e2e.console.accounts import CONSOLE, customer_with_key, pool_number, sign_in, targets
from tests.e2e.console.browser import audit
from tests.e2e.journey import dev_setting
from tests.endpoints import Endpoints
from tests.support import eventually, unique

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SAVED = "Voice action saved."


async def save_action(page: Page, label: str, fields: dict[str, str] | None = None) -> None:
    actions = page.get_by_role("group", name=re.compile("Inbound action"))
    await actions.get_by_role("radio", name=label, exact=True).check()
    for name, value in (fields or {}).items():
        control = page.locator(f"#{name}")
        if await control.evaluate("e => e.tagName") == "SELECT":
            await control.select_option(value)
        else:
            await control.fill(value)
    await page.get_by_role("button", name="Save action").click()


async def saved_as(page: Page, label: str) -> bool:
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Number details")
    flashed = await page.get_by_text(SAVED).count() > 0
    return flashed and (await page.get_by_test_id("current-action").inner_text()) == label


async def test_sign_in_lease_after_a_top_up_and_set_each_action(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    base = endpoints.base_url
    customer, key = await customer_with_key(base, admin, balance=1)
    made = await targets(customer)
    number = await pool_number(admin, price="1.00")  # costs 2.00: more than the balance
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}{CONSOLE}/sign-in")
    await audit(page, "sign-in")
    await sign_in(page, base, key)
    await expect(page.get_by_test_id("low-balance")).to_be_visible()
    await audit(page, "overview")

    await page.get_by_role("link", name="Numbers", exact=True).click()
    await page.get_by_label("Number contains", exact=True).fill(number.removeprefix("+"))
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_test_id("available")).to_contain_text(number)
    await audit(page, "numbers-search")
    await page.get_by_role("button", name=f"Lease {number}").click()
    await expect(page.get_by_test_id("lease-error")).to_contain_text("top up at least")
    await audit(page, "numbers-402")

    await page.get_by_role("link", name="Top up your balance").click()
    await page.get_by_label("Top-up amount").fill("20")
    await page.get_by_role("button", name="Top up").click()
    await expect(page.get_by_role("status").first).to_contain_text("PENDING")
    await expect(page.get_by_test_id("payments")).to_contain_text("PENDING")
    payments = (await customer.api.get("/account/1/payments")).json()["payments"]
    settled = await admin.post(f"/admin/1/payments/{payments[0]['paymentId']}/settle", json={})
    assert settled.status_code == 200, settled.text

    await page.goto(f"{base}{CONSOLE}/numbers?search=1&pattern={number.removeprefix('+')}")
    await page.get_by_role("button", name=f"Lease {number}").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    await audit(page, "number-details")
    details = page.url

    await save_action(page, "Forward to a phone number", {"pstnNumber": "not a number"})
    await expect(page.locator("#action-pstnNumber-error")).to_be_visible()
    await audit(page, "number-field-error")

    cases = [
        ("Forward to a phone number", {"pstnNumber": "+41793026727"}),
        ("Conversations", {}),
        (
            "Subscription (calls configuration)",
            {"callsConfigurationId": made["callsConfigurationId"]},
        ),
        ("Call routing", {"routeId": ""}),
        ("IVR scenario", {"scenarioKey": made["scenarioKey"]}),
        ("Number masking", {"voiceNumberMaskingConfigKey": made["voiceNumberMaskingConfigKey"]}),
        ("No action", {}),
    ]
    for label, fields in cases:

        async def set_it(label: str = label, fields: dict[str, str] = fields) -> bool:
            # A target made a moment ago reaches action-config through Kafka: retry until known.
            await page.goto(details)
            await save_action(page, label, fields)
            return await saved_as(page, label)

        await eventually(set_it, timeout=30, interval=0.5, what=f"the action {label} saved")
    history = page.get_by_test_id("history")
    await expect(history).to_contain_text("FORWARD_TO_IVR")
    await expect(history).to_contain_text("VOICE_NUMBER_MASKING")

    await page.get_by_role("link", name="Release this number…").click()
    await audit(page, "release-confirm")
    await context.close()


async def test_a_change_from_another_tab_is_a_412_conflict_not_an_overwrite(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    base = endpoints.base_url
    customer, key = await customer_with_key(base, admin, balance=100)
    number_key, _ = await customer.lease_fresh_number(admin)
    context = await browser.new_context()
    first = await context.new_page()
    await sign_in(first, base, key)
    second = await context.new_page()
    await first.goto(f"{base}{CONSOLE}/numbers/{number_key}")
    await second.goto(f"{base}{CONSOLE}/numbers/{number_key}")

    await save_action(first, "Conversations")
    await expect(first.get_by_text(SAVED)).to_be_visible()
    await save_action(second, "Forward to a phone number", {"pstnNumber": "+41793026727"})
    await expect(second.get_by_test_id("conflict")).to_contain_text("changed elsewhere")
    await audit(second, "number-conflict")
    voice = await customer.api.get(f"/numbers/2/numbers/{number_key}/voice")
    assert voice.json()["action"]["type"] == "VOICE_FORWARD_TO_CONVERSATIONS", "overwritten"
    await context.close()


async def test_a_call_page_and_the_operators_trace_waterfall(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    base = endpoints.base_url
    customer, key = await customer_with_key(base, admin, balance=100)
    number_key, number = await customer.lease_fresh_number(admin)
    forward = await customer.api.put(
        f"/numbers/2/numbers/{number_key}/voice",
        json={"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "+41793026727"}},
    )
    assert forward.status_code == 200, forward.text
    async with CallPublisher(endpoints.kafka) as edge:

        async def forwarded() -> str | None:
            call = InboundCall(
                call_id=unique("console"), from_="+41791234567", to=number, received_at=utc_now()
            )
            # A sampled trace of the edge's own, as a real edge sends it (W3C traceparent).
            traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
            decision = await edge.decide(call, timeout=15, traceparent=traceparent)
            return call.call_id if decision.instruction.kind == "forward" else None

        call_id = await eventually(forwarded, timeout=30, interval=0.5, what="a forwarded call")

    async def recorded() -> bool:
        found = await customer.api.get(f"/calls/1/calls/{call_id}/history")
        return found.status_code == 200 and found.json().get("decisionKind") == "forward"

    await eventually(recorded, timeout=30, interval=0.5, what="the call in call-records")
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, base, key)
    await page.get_by_role("link", name="Calls", exact=True).click()
    await page.get_by_role("link", name=call_id).click()
    await expect(page.get_by_test_id("decision")).to_have_text("forward")
    await audit(page, "call")
    await page.goto(f"{base}{CONSOLE}/calls")
    await audit(page, "calls")
    await context.close()

    operator = await browser.new_context()
    page = await operator.new_page()
    await sign_in(page, base, dev_setting("ADMIN_TOKEN"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Call lookup")
    await audit(page, "operator-lookup")
    await page.get_by_label("Call id").fill(call_id)
    await page.get_by_role("button", name=re.compile("Show the call")).click()
    # The call's page, before polling it: a reload while the form's navigation is still going
    # failed once with "Not attached to an active page".
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Call {call_id}")

    async def drawn() -> bool:
        # Spans reach Jaeger in batches, call-dispatch's decision span among them.
        await page.reload(wait_until="load")
        waterfall = page.get_by_test_id("waterfall")
        return await waterfall.count() > 0 and "call-dispatch" in await waterfall.inner_text()

    await eventually(drawn, timeout=60, interval=1, what="call-dispatch's span in the waterfall")
    await audit(page, "operator-call-trace")
    await operator.close()


async def test_the_default_conversations_queue_is_shown_and_set_on_the_overview(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    base = endpoints.base_url
    customer, key = await customer_with_key(base, admin, balance=10)
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, base, key)
    shown = page.get_by_test_id("conversations-queue")
    await expect(shown).to_contain_text("the platform's default")

    queue_field = page.get_by_label("Your default queue")
    await queue_field.fill("no spaces/allowed")
    await page.get_by_role("button", name="Save queue").click()
    await expect(page.locator("#queue-error")).to_be_visible()
    await audit(page, "overview-queue-error")

    queue = unique("queue")
    await page.get_by_label("Your default queue").fill(queue)
    await page.get_by_role("button", name="Save queue").click()
    await expect(page.get_by_test_id("conversations-queue")).to_contain_text(queue)
    answered = await customer.api.get("/account/1/conversations-queue")
    assert answered.json()["queueId"] == queue

    await page.get_by_label("Your default queue").fill("")
    await page.get_by_role("button", name="Save queue").click()
    await expect(page.get_by_test_id("conversations-queue")).to_contain_text("platform's default")
    assert (await customer.api.get("/account/1/conversations-queue")).json()["queueId"] is None
    await context.close()
