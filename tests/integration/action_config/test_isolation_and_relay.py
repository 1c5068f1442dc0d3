"""Tenant isolation, and invariant 4: a change written to MongoDB reaches Kafka even when the
process dies between the write and the publish."""

from __future__ import annotations

import base64
from typing import Any, cast

import pytest
from faststream.kafka import KafkaBroker
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from action_config.domain.voice_setup import ChangedBy, VoiceSetup
from action_config.settings import Settings
from action_config.store import Collections
from action_config.target_lookup import Targets
from action_config.views import MaskingConfigs
from action_config.voice_records import MongoHistoryStore, MongoNumberStore
from action_config.voice_setups import Mode, VoiceSetups
from tests.endpoints import Endpoints
from tests.integration.action_config.targets import (
    create_calls_configuration,
    create_route,
    create_scenario,
)
from tests.integration.action_config.world import Tenant, World
from tests.support import eventually

pytestmark = pytest.mark.integration


async def test_accounts_never_see_or_use_each_others_things(world: World, tenant: Tenant) -> None:
    other = await world.tenant()
    number = await world.lease(tenant)
    route = await create_route(tenant)
    config = await create_calls_configuration(tenant)
    scenario = await create_scenario(tenant)
    masking_key = await world.masking_config(tenant)

    for method in ("GET", "DELETE"):
        reply = await other.call(method, number.voice)
        assert reply.status_code == 404
        assert "not one of your leased numbers" in reply.text
    put = await other.call(
        "PUT", number.voice, json={"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}}
    )
    assert put.status_code == 404
    assert (await other.call("GET", f"{number.voice}/history")).status_code == 404
    assert (await other.call("GET", f"/callrouting/1/routes/{route['id']}")).status_code == 404
    assert (await other.call("DELETE", f"/callrouting/1/routes/{route['id']}")).status_code == 404
    assert (await other.call("GET", f"/calls/1/configurations/{config}")).status_code == 404
    assert (await other.call("GET", f"/voice/ivr/1/scenarios/{scenario}")).status_code == 404
    assert (await other.call("GET", "/callrouting/1/routes")).json()["results"] == []

    own = await world.lease(other)
    borrowed: list[tuple[dict[str, Any], str]] = [
        ({"type": "FORWARD_TO_CALL_ROUTING", "routeId": route["id"]}, "action.routeId"),
        (
            {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": config},
            "action.callsConfigurationId",
        ),
        ({"type": "FORWARD_TO_IVR", "scenarioKey": scenario}, "action.scenarioKey"),
        (
            {"type": "VOICE_NUMBER_MASKING", "voiceNumberMaskingConfigKey": masking_key},
            "action.voiceNumberMaskingConfigKey",
        ),
    ]
    for action, field in borrowed:
        reply = await other.call("POST", own.voice, json={"action": action})
        assert reply.status_code == 400, reply.text
        assert list(reply.json()["requestError"]["serviceException"]["validationErrors"]) == [field]
    # The owner may: the refusals above are about ownership, not about the targets.
    mine = await tenant.call("POST", number.voice, json={"action": borrowed[0][0]})
    assert mine.status_code == 200


class _CrashingBroker:
    """Dies exactly between the MongoDB write and the Kafka publish."""

    async def publish(self, *_: object, **__: object) -> None:
        raise ConnectionError("process killed before publishing")


async def test_relay_publishes_what_a_crash_left_unpublished(
    world: World, tenant: Tenant, endpoints: Endpoints
) -> None:
    number = await world.lease(tenant)
    settings = Settings(
        mongodb_uri=endpoints.mongodb_uri,
        ivr_credentials_key=SecretStr(base64.b64encode(bytes(32)).decode()),
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri, tz_aware=True)
    try:
        collections = Collections.of(mongo, settings.mongodb_database)
        crashing = cast("KafkaBroker", _CrashingBroker())
        setups = VoiceSetups(
            MongoNumberStore(collections.numbers, crashing),
            MongoHistoryStore(collections.voice_history),
            Targets(collections, MaskingConfigs()),
        )
        setup = VoiceSetup.model_validate({"action": {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}})
        # The write committed, so the caller hears success (item 4 of issue 13): answering an
        # error would make it retry a change that took effect; the relay publishes it instead.
        done = await setups.set(
            tenant.account_id,
            ChangedBy(account_id=tenant.account_id, system="crash-test"),
            number.number_key,
            requested=setup,
            mode=Mode.CREATE,
            if_match=None,
        )
        assert done.version == 2
        staged = await collections.numbers.find_one({"_id": number.number_key})
        assert staged is not None
        assert len(staged["_outbox"]) == 1  # written, not published

        async def republished() -> list[Any] | None:
            records = await world.voice_records(number.number)
            versions = [r["version"] for r in records if r]
            return records if 2 in versions else None

        records = await eventually(republished, timeout=30, what="relay re-published version 2")
        last = records[-1]
        assert last is not None
        assert last["action"]["type"] == "VOICE_FORWARD_TO_CONVERSATIONS"

        async def drained() -> bool:
            doc = await collections.numbers.find_one({"_id": number.number_key})
            return doc is not None and not doc.get("_outbox")

        await eventually(drained, timeout=10, what="outbox emptied after the relay")
    finally:
        await mongo.close()
    shown = await tenant.call("GET", number.voice)
    assert shown.headers["etag"] == '"2"'
