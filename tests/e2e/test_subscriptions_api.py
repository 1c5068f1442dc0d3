"""The Subscriptions API through nginx: Infobip's shapes, refusals that say what to fix (invariant
6), account scope (invariant 5), write-only secrets and the per-account quota's answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.journey import new_customer
from tests.endpoints import Endpoints
from tests.support import unique

pytestmark = pytest.mark.e2e

COLLECTION = "/subscriptions/1/subscription/VOICE_VIDEO"
SECRET = "api-test-secret-0123456789"


def body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "subscriptionId": unique("sub"),
        "events": ["CALL_RECEIVED", "CALL_FINISHED"],
        "profile": {
            "webhook": {"notifyUrl": "https://hooks.example.com/calls"},
            "security": {
                "authId": "hooks",
                "type": "HMAC",
                "credentials": {"secretKey": SECRET, "algorithm": "HMAC_SHA_256"},
            },
        },
    }
    return base | overrides


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notifyUrl", "file:///etc/passwd"),
        ("notifyUrl", "https://user:pw@hooks.example.com/"),
        ("notifyUrl", "https://hooks.example.com/" + "a" * 600),
        ("events", ["DTMF_CAPTURED"]),
        ("subscriptionId", "has space"),
    ],
)
async def test_bad_input_is_a_400_in_infobips_envelope(
    endpoints: Endpoints, admin: httpx.AsyncClient, field: str, value: Any
) -> None:
    customer = await new_customer(endpoints.base_url, admin)
    payload = body()
    if field == "notifyUrl":
        payload["profile"]["webhook"]["notifyUrl"] = value
    else:
        payload[field] = value
    reply = await customer.api.post(COLLECTION, json=payload)
    assert reply.status_code == 400, reply.text
    assert reply.json()["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"


async def test_crud_is_scoped_to_the_account_and_never_returns_the_secret(
    endpoints: Endpoints, admin: httpx.AsyncClient
) -> None:
    owner = await new_customer(endpoints.base_url, admin)
    other = await new_customer(endpoints.base_url, admin)
    payload = body(criteria=[{"callsConfigurationId": "support"}])
    sid = payload["subscriptionId"]
    created = await owner.api.post(COLLECTION, json=payload)
    assert created.status_code == 201, created.text
    assert (await owner.api.post(COLLECTION, json=payload)).status_code == 409
    for reply in (
        await owner.api.get(f"{COLLECTION}/{sid}"),
        await owner.api.get(COLLECTION, params={"callsConfigurationId": "support"}),
    ):
        assert reply.status_code == 200, reply.text
        assert SECRET not in reply.text
    listed = (await owner.api.get(COLLECTION)).json()
    assert [s["subscriptionId"] for s in listed["results"]] == [sid]
    assert (await other.api.get(f"{COLLECTION}/{sid}")).status_code == 404
    assert (await other.api.delete(f"{COLLECTION}/{sid}")).status_code == 404
    assert (await other.api.get(COLLECTION)).json()["results"] == []

    # A change of URL keeps the stored secret when security names only its authId.
    change = {k: v for k, v in payload.items() if k != "subscriptionId"}
    change["profile"] = {
        "webhook": {"notifyUrl": "https://hooks.example.com/v2"},
        "security": {"authId": "hooks"},
    }
    updated = await owner.api.put(f"{COLLECTION}/{sid}", json=change)
    assert updated.status_code == 200, updated.text
    shown = (await owner.api.get(f"{COLLECTION}/{sid}")).json()
    assert shown["profile"]["webhook"]["notifyUrl"] == "https://hooks.example.com/v2"
    assert shown["profile"]["security"] == {"authId": "hooks", "type": "HMAC"}
    change["profile"]["security"] = {"authId": "unknown"}
    assert (await owner.api.put(f"{COLLECTION}/{sid}", json=change)).status_code == 400

    assert (await owner.api.delete(f"{COLLECTION}/{sid}")).status_code == 200
    assert (await owner.api.get(f"{COLLECTION}/{sid}")).status_code == 404


async def test_other_channels_are_refused(endpoints: Endpoints, admin: httpx.AsyncClient) -> None:
    customer = await new_customer(endpoints.base_url, admin)
    reply = await customer.api.post("/subscriptions/1/subscription/SMS", json=body())
    assert reply.status_code == 400, reply.text
