"""Every refusal of a voice setup names what to fix (Infobip's envelope, `validationErrors`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.action_config.world import Leased, Tenant, World, fresh_number

pytestmark = pytest.mark.integration


def refused_field(reply: httpx.Response, status: int = 400) -> list[str]:
    assert reply.status_code == status, reply.text
    exception = reply.json()["requestError"]["serviceException"]
    assert exception["text"]
    return sorted(exception.get("validationErrors", {}))


async def post(tenant: Tenant, number: Leased, action: dict[str, Any], **extra: Any) -> Any:
    return await tenant.call("POST", number.voice, json={"action": action, **extra})


@pytest.fixture
async def number(world: World, tenant: Tenant) -> Leased:
    return await world.lease(tenant)


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "FORWARD_TO_PSTN", "pstnNumber": "12345"}, "action.pstnNumber"),
        ({"type": "FORWARD_TO_PSTN", "pstnNumber": "not a number"}, "action.pstnNumber"),
        ({"type": "FORWARD_TO_PSTN"}, "action.FORWARD_TO_PSTN.pstnNumber"),
        (
            {"type": "VOICE_NUMBER_MASKING", "voiceNumberMaskingConfigKey": "nope"},
            "action.voiceNumberMaskingConfigKey",
        ),
        (
            {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": "nope"},
            "action.callsConfigurationId",
        ),
        ({"type": "FORWARD_TO_CALL_ROUTING", "routeId": "nope"}, "action.routeId"),
        ({"type": "FORWARD_TO_IVR", "scenarioKey": "nope"}, "action.scenarioKey"),
        ({"type": "FORWARD_TO_MARS"}, "action"),
    ],
)
async def test_bad_action_is_refused_with_the_field_named(
    tenant: Tenant, number: Leased, action: dict[str, Any], field: str
) -> None:
    fields = refused_field(await post(tenant, number, action))
    assert fields == [field] or (field == "action" and fields and fields[0].startswith("action"))


async def test_forwarding_a_number_to_itself_is_refused(tenant: Tenant, number: Leased) -> None:
    reply = await post(tenant, number, {"type": "FORWARD_TO_PSTN", "pstnNumber": number.number})
    assert refused_field(reply) == ["action.pstnNumber"]
    assert "differ" in reply.text


async def test_bad_fallback_number_is_refused(tenant: Tenant, number: Leased) -> None:
    reply = await post(
        tenant,
        number,
        {"type": "VOICE_FORWARD_TO_CONVERSATIONS"},
        fallback={"type": "FORWARD_TO_PSTN", "pstnNumber": "999"},
    )
    assert refused_field(reply) == ["fallback.pstnNumber"]


async def test_number_without_voice_is_refused(world: World, tenant: Tenant) -> None:
    sms_only = await world.lease(tenant, capabilities=["SMS"])
    reply = await post(tenant, sms_only, {"type": "VOICE_FORWARD_TO_CONVERSATIONS"})
    assert refused_field(reply) == ["numberKey"]
    assert "VOICE" in reply.text


async def test_second_post_is_a_conflict_and_put_replaces(tenant: Tenant, number: Leased) -> None:
    first = {"type": "FORWARD_TO_PSTN", "pstnNumber": fresh_number()}
    assert (await post(tenant, number, first)).status_code == 200
    again = await post(tenant, number, {"type": "VOICE_FORWARD_TO_CONVERSATIONS"})
    assert again.status_code == 409
    assert "use PUT" in again.text
    put = await tenant.call(
        "PUT", number.voice, json={"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}}
    )
    assert put.status_code == 200
    assert put.json()["action"]["type"] == "VOICE_FORWARD_TO_CONVERSATIONS"


async def test_if_match_makes_changes_conditional(tenant: Tenant, number: Leased) -> None:
    body = {"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}}
    etag = (await tenant.call("POST", number.voice, json=body)).headers["etag"]
    stale = await tenant.call("PUT", number.voice, json=body, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert etag in stale.json()["requestError"]["serviceException"]["text"]
    deleted_stale = await tenant.call("DELETE", number.voice, headers={"If-Match": '"1"'})
    assert deleted_stale.status_code == 412
    fresh = await tenant.call("PUT", number.voice, json=body, headers={"If-Match": etag})
    assert fresh.status_code == 200
    garbage = await tenant.call("PUT", number.voice, json=body, headers={"If-Match": "abc"})
    assert refused_field(garbage) == ["If-Match"]


async def test_unknown_or_missing_key_is_401(world: World, number: Leased) -> None:
    anonymous = await world.http.get(number.voice)
    assert anonymous.status_code == 401
    wrong = await world.http.get(number.voice, headers={"Authorization": "App not-a-key"})
    assert wrong.status_code == 401
    assert wrong.json()["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"
