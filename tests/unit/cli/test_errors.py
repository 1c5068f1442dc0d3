"""Refusals are one line on stderr and a non-zero exit; bad arguments never reach the API."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.cli.support import FakeApi, envelope, invoke

pytestmark = pytest.mark.unit
KEY = "0123456789ABCDEF0123456789ABCDEF"
WITH_KEY = ("--api-key", "k-1")


def test_an_api_refusal_is_one_line_with_its_text_and_exit_1() -> None:
    text = "Insufficient balance: the number costs 6.00 EUR; top up at least 2.50 EUR."
    fake = FakeApi({("POST", "/numbers/1/numbers"): envelope(402, "INSUFFICIENT_FUNDS", text)})
    result = invoke(fake, *WITH_KEY, "numbers", "lease", KEY)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: HTTP 402 INSUFFICIENT_FUNDS: {text}"]


def test_validation_errors_name_their_fields() -> None:
    fake = FakeApi(
        {("POST", "/admin/1/accounts"): envelope(400, "BAD_REQUEST", "Invalid.", currency=["bad"])}
    )
    result = invoke(fake, "--admin-token", "t", "admin", "create-account", "--name", "x")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: HTTP 400 BAD_REQUEST: Invalid. (currency: bad)"


def test_a_reply_without_the_envelope_still_gives_one_line() -> None:
    fake = FakeApi({("GET", "/account/1/balance"): httpx.Response(502, text="<html>\nbad\n")})
    result = invoke(fake, *WITH_KEY, "balance")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: HTTP 502: <html>"


def test_a_missing_credential_says_where_to_set_it_without_calling() -> None:
    fake = FakeApi()
    result = invoke(fake, "numbers", "list")
    assert result.exit_code == 1
    assert "CALLPLANE_API_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake.seen == []


def test_an_unreachable_api_is_one_line() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = invoke(FakeApi({("GET", "/account/1/balance"): refuse}), *WITH_KEY, "balance")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach http://127.0.0.1:8080")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "pstn"], "--type pstn needs --pstn-number"),
        (["--type", "ivr"], "--type ivr needs --scenario"),
        (["--type", "conversations", "--route-id", "r"], "--route-id does not apply"),
        (
            ["--type", "conversations", "--fallback-pstn", "1", "--fallback-reject", "NO_ROUTE"],
            "give one fallback",
        ),
    ],
)
def test_voice_set_checks_its_options_before_calling(args: list[str], message: str) -> None:
    fake = FakeApi()
    result = invoke(fake, *WITH_KEY, "voice", "set", KEY, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert fake.seen == []


@pytest.mark.parametrize(
    "args",
    [
        ["numbers", "search", "--limit", "0"],
        ["voice", "set", KEY, "--type", "teleport"],
        ["top-up", "0"],
        ["calls", "simulate", "--to", "+41791234567"],
    ],
)
def test_bad_arguments_exit_2_without_calling(args: list[str]) -> None:
    fake = FakeApi()
    result = invoke(fake, *WITH_KEY, *args)
    assert result.exit_code == 2
    assert fake.seen == []


def test_routes_and_ivr_need_something_to_create() -> None:
    fake = FakeApi()
    route = invoke(fake, *WITH_KEY, "routes", "create", "--name", "r")
    ivr = invoke(fake, *WITH_KEY, "ivr", "create", "--name", "s")
    assert route.exit_code == ivr.exit_code == 1
    assert "--phone or --url" in route.stderr
    assert "--say and/or --dial" in ivr.stderr
    assert fake.seen == []
