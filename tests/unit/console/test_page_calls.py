"""A page's API calls that need no answer of one another are made together: the fake API
records which requests were in flight at the same time (no timing involved)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from console.pages_overview import PAGE
from tests.unit.console.pages import FakeApi, console_over

pytestmark = pytest.mark.unit

BALANCE = "/account/1/balance"
PAYMENTS = "/account/1/payments"
NUMBERS = "/numbers/1/numbers"
QUEUE = "/account/1/conversations-queue"


def owned(total: int) -> Any:
    """The account's numbers, `total` of them, a page of the asked `limit` at a time."""

    def page(request: httpx.Request) -> tuple[int, Any]:
        limit, number = int(request.url.params["limit"]), int(request.url.params["page"])
        keys = range(number * limit, min((number + 1) * limit, total))
        numbers = [{"numberKey": f"k{k}", "number": f"4179{k:07d}"} for k in keys]
        return 200, {"numbers": numbers, "numberCount": total}

    return page


def overview_api(total: int) -> FakeApi:
    return FakeApi(
        {
            ("GET", BALANCE): (200, {"balance": 12.5, "currency": "EUR"}),
            ("GET", PAYMENTS): (200, {"payments": []}),
            ("GET", NUMBERS): owned(total),
            ("GET", QUEUE): (200, {"queueId": None, "effectiveQueueId": "default"}),
        }
    )


def test_the_overview_asks_for_balance_payments_queue_and_numbers_together() -> None:
    fake = overview_api(3)
    page = console_over(fake).client.get("/console/overview")
    assert page.status_code == 200
    assert "12.50 EUR" in page.text
    assert fake.paths() == {BALANCE, PAYMENTS, NUMBERS, QUEUE}


def test_the_numbers_of_an_account_of_one_full_page_take_one_request() -> None:
    fake = overview_api(PAGE)
    page = console_over(fake).client.get("/console/overview")
    assert f"{PAGE} numbers" in page.text
    assert [r.url.params["page"] for r in fake.sent if r.url.path == NUMBERS] == ["0"]


def test_the_pages_after_the_first_are_asked_for_together() -> None:
    fake = overview_api(2 * PAGE + 1)
    page = console_over(fake).client.get("/console/overview")
    assert f"{2 * PAGE + 1} numbers" in page.text
    asked = sorted(r.url.params["page"] for r in fake.sent if r.url.path == NUMBERS)
    assert asked == ["0", "1", "2"]
    later = {f"GET {NUMBERS}?limit={PAGE}&page={n}" for n in (1, 2)}
    assert any(later <= overlap for overlap in fake.overlaps), fake.overlaps


def test_number_details_asks_for_the_number_its_action_history_and_pick_lists_together() -> None:
    number = {
        "numberKey": "k1",
        "number": "41793026731",
        "capabilities": ["VOICE"],
        "price": {"pricePerMonth": 1, "currency": "EUR"},
    }
    fake = FakeApi(
        {
            ("GET", "/numbers/1/numbers/k1"): (200, number),
            ("GET", "/numbers/2/numbers/k1/voice"): (404, {}),
            ("GET", "/numbers/2/numbers/k1/voice/history"): (200, {"versions": []}),
            ("GET", "/voice/masking/2/config"): (200, []),
            ("GET", "/calls/1/configurations"): (200, {"results": []}),
            ("GET", "/callrouting/1/routes"): (200, {"results": []}),
            ("GET", "/voice/ivr/1/scenarios"): (200, {"results": []}),
        }
    )
    page = console_over(fake).client.get("/console/numbers/k1")
    assert page.status_code == 200
    assert "Number details: +41793026731" in page.text
    assert fake.paths() == {path for _, path in fake.answers}
