"""The account's call targets in real headless Chromium against the running services behind
nginx (no mocks): routes (with the simulator), IVR scenarios, calls configurations and masking
configurations, each created after a field error shown next to its field, edited and deleted.

Every page is checked with axe-core (no serious or critical violation) and screenshotted under
.cache/console-screenshots/.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.console.accounts import CONSOLE, customer_with_key, sign_in
from tests.e2e.console.browser import audit
from tests.e2e.journey import Customer
from tests.endpoints import Endpoints
from tests.support import eventually, unique

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


async def signed_in(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> tuple[Customer, BrowserContext, Page]:
    customer, key = await customer_with_key(endpoints.base_url, admin, balance=100)
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, endpoints.base_url, key)
    return customer, context, page


async def delete_here(page: Page, singular: str, name: str) -> None:
    """From an item's page: the confirmation page (checked), then the deletion."""
    await page.get_by_role("link", name=f"Delete this {singular}…").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(f"Delete the {singular}")
    await audit(page, f"{singular.replace(' ', '-')}-delete")
    await page.get_by_label(f"I want to delete {name}").check()
    await page.get_by_role("button", name="Delete", exact=True).click()
    await expect(page.get_by_text(f"Deleted the {singular}.")).to_be_visible()


async def rows_by_keyboard(page: Page) -> None:
    """Rows come and go with the keyboard alone: a button by Enter puts the focus in the new
    row's first field, and nothing is saved meanwhile."""
    await page.get_by_role("button", name="Add a criterion").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#criteria-0-to")).to_be_focused()
    await page.keyboard.type("4144(.+)")
    await page.get_by_role("button", name="Add a destination").press("Enter")
    await expect(page.locator("#destinations-1-type")).to_be_focused()
    await page.locator("#destinations-1-type").select_option("URL")
    await page.locator("#destinations-1-value").fill("https://example.com/where-to")
    await page.locator("#destinations-1-priority").fill("2")
    await page.locator("#destinations-1-windows").fill("Mon-Fri 08:00-18:00")
    await page.get_by_role("button", name="Add a criterion").press("Enter")
    await page.get_by_role("button", name="Remove criterion 2").press("Enter")
    await expect(page.locator("#criteria-1-to")).to_have_count(0)


async def simulate(page: Page, endpoints: Endpoints, *, use_disabled: bool) -> None:
    await page.goto(f"{endpoints.base_url}{CONSOLE}/routes/simulate")
    await page.get_by_label("To (the called number)").fill("41441234567")
    await page.get_by_label("From (number").fill("41791234567")
    await page.get_by_label("Endpoint type").select_option("PHONE")
    await page.get_by_label("Consider disabled routes too").set_checked(use_disabled)
    await page.get_by_role("button", name="Simulate").click()


async def test_a_route_from_a_field_error_to_simulate_disable_and_delete(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    customer, context, page = await signed_in(browser, endpoints, admin)
    await page.get_by_role("link", name="Routes", exact=True).click()
    await audit(page, "routes")
    await page.get_by_role("link", name="New route").click()
    await audit(page, "route-new")
    name = unique("route")
    await page.locator("#name").fill(name)
    # The one destination row a new route starts with, left without its number: the API's
    # error lands on that row's field.
    await page.get_by_role("button", name="Create route").click()
    await expect(page.locator("#destinations-0-value-error")).to_be_visible()
    await expect(page.locator("#destinations-0-value")).to_have_attribute("aria-invalid", "true")
    await audit(page, "route-field-error")

    await page.locator("#destinations-0-value").fill("41793026727")
    await page.locator("#destinations-0-priority").fill("1")
    await rows_by_keyboard(page)
    await audit(page, "route-rows")
    await page.get_by_role("button", name="Create route").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Route: {name}")
    route_id = page.url.rsplit("/", 1)[-1]
    stored = (await customer.api.get(f"/callrouting/1/routes/{route_id}")).json()
    assert stored["criteria"] == [{"to": "4144(.+)"}]
    assert stored["destinations"][1]["url"] == "https://example.com/where-to"
    assert stored["destinations"][1]["allowedTimeWindows"][0]["from"] == {"hour": 8, "minute": 0}
    await expect(page.locator("#destinations-1-windows")).to_have_value("Mon-Fri 08:00-18:00")

    renamed = unique("renamed")
    await page.locator("#name").fill(renamed)
    await page.locator("#name").press("Enter")  # Enter in a field saves (not "Remove criterion 1")
    await expect(page.get_by_text("Saved the route.")).to_be_visible()
    await expect(page.get_by_test_id("version")).to_have_text("2")
    await audit(page, "route")
    stored = (await customer.api.get(f"/callrouting/1/routes/{route_id}")).json()
    assert stored["name"] == renamed
    assert stored["criteria"] == [{"to": "4144(.+)"}]
    assert stored["destinations"][0]["value"]["phoneNumber"] == "41793026727"

    await simulate(page, endpoints, use_disabled=False)
    shown = page.get_by_test_id("simulated")
    await expect(shown).to_contain_text(renamed)
    await expect(shown).to_contain_text("PHONE 41793026727")
    await audit(page, "route-simulate")

    await page.get_by_role("link", name=renamed).click()
    await page.get_by_role("button", name="Disable this route").click()
    await expect(page.get_by_text("Route disabled.")).to_be_visible()
    await simulate(page, endpoints, use_disabled=False)
    await expect(page.get_by_test_id("simulate-error")).to_contain_text("no route matches")
    await simulate(page, endpoints, use_disabled=True)
    await expect(page.get_by_test_id("simulated")).to_contain_text(renamed)

    await page.goto(f"{endpoints.base_url}{CONSOLE}/routes/{route_id}")
    await delete_here(page, "route", renamed)
    assert (await customer.api.get(f"/callrouting/1/routes/{route_id}")).status_code == 404
    await context.close()


async def test_an_ivr_scenario_shows_its_notify_secret_once_and_versions_on_edit(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    customer, context, page = await signed_in(browser, endpoints, admin)
    await page.get_by_role("link", name="IVR", exact=True).click()
    await audit(page, "ivr-scenarios")
    await page.get_by_role("link", name="New IVR scenario").click()
    name = unique("ivr")
    await page.locator("#name").fill(name)
    await page.locator("#script").fill('[{"say": "Hi"}, {"dance": "now"}]')
    await page.get_by_role("button", name="Create IVR scenario").click()
    await expect(page.locator("#script-error")).to_contain_text("[1]: unknown step")
    await audit(page, "ivr-field-error")
    await page.locator("#script").fill('[{"say": "Hi"')
    await page.get_by_role("button", name="Create IVR scenario").click()
    await expect(page.locator("#script-error")).to_contain_text("not valid JSON")

    await page.locator("#script").fill('[{"say": "Press 1"}, {"collectInto": "choice"}]')
    await page.locator("#notifyUrl").fill("https://hooks.example.com/ivr")
    await page.get_by_label("Notify content type").select_option("application/json")
    await page.get_by_role("button", name="Create IVR scenario").click()
    secret = await page.get_by_label("notifySecret").input_value()
    assert len(secret) >= 16, "the notifySecret is shown after creation"
    await audit(page, "ivr-created-secret")
    scenario_url = f"{endpoints.base_url}{CONSOLE}/ivr/" + (
        await page.get_by_test_id("item").locator("code").inner_text()
    )
    await page.goto(scenario_url)
    assert secret not in await page.content(), "the secret is shown once, not again"
    await expect(page.get_by_test_id("version")).to_have_text("1")

    await page.locator("#script").fill('[{"say": "Thanks"}]')
    await page.get_by_role("button", name="Save IVR scenario").click()
    await expect(page.get_by_test_id("version")).to_have_text("2")
    await audit(page, "ivr-scenario")
    await delete_here(page, "IVR scenario", name)
    found = await customer.api.get("/voice/ivr/1/scenarios", params={"name": name})
    assert found.json() == []
    await context.close()


async def test_a_calls_configuration_in_use_is_refused_with_the_apis_text_then_deleted(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    customer, context, page = await signed_in(browser, endpoints, admin)
    number_key, number = await customer.lease_fresh_number(admin)
    await page.get_by_role("link", name="Calls configurations", exact=True).click()
    await audit(page, "calls-configurations")
    await page.get_by_role("link", name="New calls configuration").click()
    await page.locator("#id").fill("not an id!")
    await page.locator("#name").fill("Support")
    await page.get_by_role("button", name="Create calls configuration").click()
    await expect(page.locator("#id-error")).to_be_visible()
    await audit(page, "calls-configuration-field-error")
    config_id = unique("cfg")
    await page.locator("#id").fill(config_id)
    await page.get_by_role("button", name="Create calls configuration").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Support")
    await page.locator("#name").fill("Support desk")
    await page.get_by_role("button", name="Save calls configuration").click()
    await expect(page.get_by_text("Saved the calls configuration.")).to_be_visible()
    await audit(page, "calls-configuration")

    async def used() -> bool:
        body = {"action": {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": config_id}}
        reply = await customer.api.put(f"/numbers/2/numbers/{number_key}/voice", json=body)
        return reply.status_code == 200

    await eventually(used, timeout=30, interval=0.5, what="a number whose action names it")
    await page.get_by_role("link", name="Delete this calls configuration…").click()
    await page.get_by_label("I want to delete Support desk").check()
    await page.get_by_role("button", name="Delete", exact=True).click()
    await expect(page.get_by_test_id("delete-error")).to_contain_text(number.removeprefix("+"))
    await audit(page, "calls-configuration-in-use")

    removed = await customer.api.delete(f"/numbers/2/numbers/{number_key}/voice")
    assert removed.status_code == 204, removed.text
    await page.goto(f"{endpoints.base_url}{CONSOLE}/calls-configurations/{config_id}")
    await delete_here(page, "calls configuration", "Support desk")
    gone = await customer.api.get(f"/calls/1/configurations/{config_id}")
    assert gone.status_code == 404
    await context.close()


async def test_a_masking_configuration_and_credentials_whose_key_is_shown_once(
    browser: Browser, endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    customer, context, page = await signed_in(browser, endpoints, admin)
    await page.get_by_role("link", name="Masking", exact=True).click()
    await audit(page, "masking-configurations")
    await page.get_by_role("link", name="New masking configuration").click()
    name = unique("mask").replace("-", " ")
    await page.locator("#name").fill(name)
    await page.locator("#callbackUrl").fill("ftp://example.com/cb")
    await page.get_by_role("button", name="Create masking configuration").click()
    await expect(page.locator("#callbackUrl-error")).to_contain_text("http")
    await audit(page, "masking-field-error")
    await page.locator("#callbackUrl").fill("https://example.com/cb")
    await page.locator("#totalTimeoutMs").fill("2000")
    await page.get_by_role("button", name="Create masking configuration").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    await page.locator("#connectTimeoutMs").fill("500")
    await page.get_by_role("button", name="Save masking configuration").click()
    await expect(page.get_by_text("Saved the masking configuration.")).to_be_visible()
    await audit(page, "masking-configuration")
    config_key = await page.get_by_test_id("item").locator("code").inner_text()
    stored = (await customer.api.get(f"/voice/masking/2/config/{config_key}")).json()
    assert (stored["connectTimeoutMs"], stored["totalTimeoutMs"]) == (500, 2000)
    await delete_here(page, "masking configuration", name)

    await page.get_by_role("link", name="Callback signing credentials").click()
    await page.get_by_label("apiId").fill("console-app")
    await page.get_by_role("button", name="Generate a new key").click()
    key = await page.get_by_label("key", exact=True).input_value()
    assert len(key) == 48  # 24 random bytes in hex
    await audit(page, "masking-credentials")
    await page.goto(f"{endpoints.base_url}{CONSOLE}/masking/credentials")  # not a re-POST
    assert key not in await page.content(), "the key is shown once, not again"
    await expect(page.get_by_test_id("api-id")).to_contain_text("console-app")
    assert (await customer.api.get("/voice/masking/2/credentials")).json() == {
        "apiId": "console-app"
    }
    await context.close()
