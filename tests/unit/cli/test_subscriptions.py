"""`callplane subscriptions`: the Subscriptions API request it sends, against a fake API."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.cli.support import FakeApi, invoke

pytestmark = pytest.mark.unit
APP = ("--api-key", "k-1")
PATH = "/subscriptions/1/subscription/VOICE_VIDEO"


def test_create_sends_infobips_shape_with_hmac_security() -> None:
    made = {"subscriptionId": "s-1", "profile": {"profileId": "p", "security": {"authId": "a"}}}
    fake = FakeApi({("POST", PATH): httpx.Response(201, json=made)})
    result = invoke(
        fake,
        *APP,
        "subscriptions",
        "create",
        "--id",
        "s-1",
        "--notify-url",
        "https://hooks.example.com/calls",
        "--calls-config",
        "support",
        "--event",
        "CALL_RECEIVED",
        "--auth-id",
        "a",
        "--hmac-secret",
        "0123456789abcdef",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "s-1\n"
    assert fake.body(0) == {
        "subscriptionId": "s-1",
        "events": ["CALL_RECEIVED"],
        "criteria": [{"callsConfigurationId": "support"}],
        "profile": {
            "webhook": {"notifyUrl": "https://hooks.example.com/calls"},
            "security": {
                "authId": "a",
                "type": "HMAC",
                "credentials": {"secretKey": "0123456789abcdef", "algorithm": "HMAC_SHA_256"},
            },
        },
    }


def test_a_secret_without_an_auth_id_is_refused_before_sending() -> None:
    fake = FakeApi({})
    result = invoke(
        fake,
        *APP,
        "subscriptions",
        "create",
        "--id",
        "s-1",
        "--notify-url",
        "https://h.example.com/",
        "--hmac-secret",
        "0123456789abcdef",
    )
    assert result.exit_code != 0
    assert "--auth-id" in result.output
    assert fake.seen == []


def test_list_reads_the_voice_video_channel() -> None:
    page = {"results": [{"subscriptionId": "s-1", "name": "n", "events": ["CALL_RECEIVED"]}]}
    fake = FakeApi({("GET", PATH): httpx.Response(200, json=page)})
    result = invoke(fake, *APP, "subscriptions", "list", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == "s-1\n"
