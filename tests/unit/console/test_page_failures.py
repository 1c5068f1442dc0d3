"""When the API refuses, a page says what it said; when it cannot answer (5xx, or no answer at
all), a page says the service is unavailable and never turns that into "not valid", "no
action", "none" or a zero."""

from __future__ import annotations

import html

import httpx
import pytest

from console.sessions import Role
from tests.unit.console.pages import JAEGER, Browser, FakeApi, console_over, envelope

pytestmark = pytest.mark.unit

BALANCE = ("GET", "/account/1/balance")
ADMIN = ("GET", "/admin/1/payments")
DOWN = (503, envelope("MongoDB did not answer in time; retry in 5 seconds."))
NO_ANSWER = httpx.ConnectError("connection refused")
REFUSED = (401, envelope("Invalid API key."))


def sign_in(fake: FakeApi) -> tuple[Browser, httpx.Response]:
    browser = console_over(fake, role=None)
    answer = browser.client.post(
        "/console/sign-in",
        data={"csrf": browser.session.csrf, "key": "k" * 40},
        follow_redirects=False,
    )
    return browser, answer


@pytest.mark.parametrize("failure", [DOWN, (500, None), (502, "<html>"), NO_ANSWER])
def test_sign_in_says_unavailable_when_the_api_cannot_answer(
    failure: tuple[int, object] | Exception,
) -> None:
    _, answer = sign_in(FakeApi({BALANCE: failure, ADMIN: failure}))
    assert answer.status_code == 503
    assert "The service is unavailable" in answer.text
    assert "try again" in answer.text
    assert "not valid" not in answer.text


@pytest.mark.parametrize("status", [401, 403])
def test_sign_in_says_not_valid_when_the_api_refuses_the_key(status: int) -> None:
    refused = (status, envelope("Invalid API key."))
    fake = FakeApi({BALANCE: refused, ADMIN: refused})
    _, answer = sign_in(fake)
    assert answer.status_code == 401
    assert "That key is not valid" in answer.text
    assert [r.url.path for r in fake.sent] == [BALANCE[1], ADMIN[1]]


def test_a_key_no_account_knows_is_not_called_invalid_while_the_admin_check_is_down() -> None:
    _, answer = sign_in(FakeApi({BALANCE: REFUSED, ADMIN: NO_ANSWER}))
    assert answer.status_code == 503
    assert "operators' endpoint is unavailable" in html.unescape(answer.text)
    assert "not valid" not in answer.text


def test_a_valid_key_signs_in_even_after_an_unavailable_check() -> None:
    _, answer = sign_in(FakeApi({BALANCE: DOWN, ADMIN: (200, {"payments": []})}))
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/operator"


def test_the_overview_shows_each_part_the_api_could_not_give_with_its_text() -> None:
    fake = FakeApi(
        {
            BALANCE: DOWN,
            ("GET", "/account/1/payments"): NO_ANSWER,
            ("GET", "/numbers/1/numbers"): (500, envelope("Listing failed.")),
        }
    )
    page = console_over(fake).client.get("/console/overview")
    assert page.status_code == 200
    assert "The balance could not be read: MongoDB did not answer in time" in page.text
    assert "The payments could not be read: The API did not answer (ConnectError)" in page.text
    assert "The numbers could not all be read: Listing failed." in page.text
    assert "0.00" not in page.text
    assert "No payments yet" not in page.text


def test_an_unreadable_action_is_not_drawn_as_no_action() -> None:
    fake = FakeApi(
        {
            ("GET", "/numbers/1/numbers/k1"): (200, {"numberKey": "k1", "number": "4179"}),
            ("GET", "/numbers/2/numbers/k1/voice"): DOWN,
        }
    )
    page = console_over(fake).client.get("/console/numbers/k1")
    assert page.status_code == 503
    assert "MongoDB did not answer in time" in page.text
    assert 'name="actionType"' not in page.text


def test_a_target_the_api_cannot_read_is_an_error_page_not_an_empty_form() -> None:
    fake = FakeApi({("GET", "/callrouting/1/routes/r1"): DOWN})
    page = console_over(fake).client.get("/console/routes/r1")
    assert page.status_code == 503
    assert "MongoDB did not answer in time" in page.text


def test_masking_credentials_that_cannot_be_read_are_not_shown_as_none() -> None:
    fake = FakeApi({("GET", "/voice/masking/2/credentials"): NO_ANSWER})
    page = console_over(fake).client.get("/console/masking/credentials")
    assert page.status_code == 503
    assert "No credentials set" not in page.text


def test_a_removal_the_api_did_not_make_is_not_reported_as_done() -> None:
    fake = FakeApi({("DELETE", "/voice/masking/2/credentials"): DOWN})
    browser = console_over(fake)
    answer = browser.client.post(
        "/console/masking/credentials/delete",
        data={"csrf": browser.session.csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    (flash,) = browser.flash(answer)
    assert flash.startswith("Not removed: MongoDB did not answer in time")


@pytest.mark.parametrize(
    ("jaeger", "says"),
    [
        (NO_ANSWER, "Jaeger's query API is unavailable"),
        ((404, {"data": None, "errors": [{"code": 404, "msg": "trace not found"}]}), "(yet)"),
    ],
)
def test_an_unreachable_jaeger_is_not_a_trace_that_is_not_there_yet(
    jaeger: tuple[int, object] | Exception, says: str
) -> None:
    fake = FakeApi(
        {
            ("GET", "/records/1/calls/c1"): (200, {"callId": "c1", "traceId": "ab12"}),
            ("GET", "/api/traces/ab12"): jaeger,
        }
    )
    page = console_over(fake, Role.OPERATOR).client.get("/console/operator/calls/c1")
    assert says in html.unescape(page.text)
    assert [str(r.url) for r in fake.sent][-1] == f"{JAEGER}/api/traces/ab12"
