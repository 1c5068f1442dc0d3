"""IVR scenarios (`/voice/ivr/1/scenarios`), scoped to the account, scripts checked on write.

Every change bumps the scenario's `version` and stages its `IvrScenarioPublished` (or, on delete,
a tombstone) on `ivr.scenarios` in the same atomic write (outbox), so call-dispatch's view and
thus the next call carry the new script within the same bound as a voice-action change.
Deletion follows the routes' pattern: mark `deleted` with the tombstone staged, publish, remove.

Each scenario gets its own notification secret at creation, answered once (`notifySecret`) and
never again: IVR notifications to `notifyUrl` are signed with it (`callplane_shared.signing`).
It is stored sealed (`CredentialCipher`, the account id bound in, like masking and subscription
secrets); documents written before that hold it in plaintext and are still read (no migration).
"""

from __future__ import annotations

import secrets
import uuid

from faststream.kafka import KafkaBroker

from action_config.domain.ivr_script import check_script
from action_config.domain.refusals import Refusal, missing
from action_config.domain.targets import Scenario, ScenarioCreated, ScenarioRequest
from action_config.domain.voice_setup import TargetKind
from action_config.store import Collections, now, without_internals
from action_config.target_lookup import Targets
from callplane_shared import outbox
from callplane_shared.events import IvrScenarioPublished
from callplane_shared.mongo import Document
from callplane_shared.sealing import CredentialCipher
from callplane_shared.topics import IVR_SCENARIOS

LIVE = {"deleted": {"$ne": True}}
SEALED_FIELD = "_notifySecretSealed"
PLAIN_FIELD = "_notifySecret"


def scenario_secret(doc: Document, cipher: CredentialCipher) -> str | None:
    """The scenario's notification secret: unsealed, or as an older document holds it."""
    sealed = doc.get(SEALED_FIELD)
    if sealed:
        return cipher.decrypt(sealed, doc["accountId"])
    plain = doc.get(PLAIN_FIELD)
    return str(plain) if plain else None


class IvrScenarios:
    def __init__(
        self,
        collections: Collections,
        targets: Targets,
        broker: KafkaBroker,
        cipher: CredentialCipher,
    ) -> None:
        self._col = collections.ivr_scenarios
        self._targets = targets
        self._broker = broker
        self._cipher = cipher

    async def create(self, account_id: str, request: ScenarioRequest) -> ScenarioCreated:
        check_script(request.script)
        at = now()
        scenario = Scenario.model_validate(
            {
                **request.model_dump(),
                "id": uuid.uuid4().hex,
                "create_time": at,
                "update_time": at,
                "version": 1,
            }
        )
        secret = secrets.token_urlsafe(32)
        await self._col.insert_one(
            {
                "_id": scenario.id,
                "accountId": account_id,
                **_stored(scenario),
                SEALED_FIELD: self._cipher.encrypt(secret, account_id),
                outbox.OUTBOX_FIELD: [_staged(account_id, scenario)],
            }
        )
        await outbox.flush_after_commit(self._broker, self._col, {"_id": scenario.id})
        return ScenarioCreated.model_validate({**scenario.model_dump(), "notify_secret": secret})

    async def _get_doc(self, account_id: str, scenario_id: str) -> Document:
        doc = await self._col.find_one({"_id": scenario_id, "accountId": account_id, **LIVE})
        if doc is None:
            raise missing(f"IVR scenario {scenario_id} does not exist in your account")
        return doc

    async def get(self, account_id: str, scenario_id: str) -> Scenario:
        return _scenario(await self._get_doc(account_id, scenario_id))

    async def search(
        self, account_id: str, page: int, page_size: int, name: str | None
    ) -> list[Scenario]:
        query: dict[str, object] = {"accountId": account_id, **LIVE}
        if name:
            query["name"] = name
        cursor = self._col.find(query).sort("createTime", 1).skip((page - 1) * page_size)
        return [_scenario(d) async for d in cursor.limit(page_size)]

    async def replace(
        self, account_id: str, scenario_id: str, request: ScenarioRequest
    ) -> Scenario:
        doc = await self._get_doc(account_id, scenario_id)
        check_script(request.script)
        current = _scenario(doc)
        held = int(doc.get("version") or 1)
        scenario = Scenario.model_validate(
            {
                **request.model_dump(),
                "id": scenario_id,
                "create_time": current.create_time,
                "update_time": now(),
                "last_usage_date": current.last_usage_date,
                "version": held + 1,
            }
        )
        # Scenarios stored before versions existed have none: they count as version 1.
        version_filter: Document = (
            {"version": held} if "version" in doc else {"version": {"$exists": False}}
        )
        result = await self._col.update_one(
            {"_id": scenario_id, "accountId": account_id, **version_filter, **LIVE},
            {"$set": _stored(scenario), "$push": outbox.push(_staged(account_id, scenario))},
        )
        if result.modified_count != 1:
            raise Refusal(409, f"IVR scenario {scenario_id} changed at the same time; retry")
        await outbox.flush_after_commit(self._broker, self._col, {"_id": scenario_id})
        return scenario

    async def delete(self, account_id: str, scenario_id: str) -> Scenario:
        scenario = await self.get(account_id, scenario_id)
        await self._targets.refuse_if_used(account_id, TargetKind.IVR_SCENARIO, scenario_id)
        tombstone = outbox.outbox_entry(IVR_SCENARIOS.name, scenario_id, None)
        await self._col.update_one(
            {"_id": scenario_id, "accountId": account_id, **LIVE},
            {"$set": {"deleted": True}, "$push": outbox.push(tombstone)},
        )
        await outbox.flush_after_commit(self._broker, self._col, {"_id": scenario_id})
        await self._col.delete_one({"_id": scenario_id, "deleted": True})
        return scenario


def _scenario(doc: Document) -> Scenario:
    return Scenario.model_validate({"version": 1, **without_internals(doc)})


def _stored(scenario: Scenario) -> Document:
    # lastUsageDate is written only by the usage tracker (`ivr_usage`), never by a request.
    return scenario.model_dump(by_alias=True, exclude={"last_usage_date"})


def _staged(account_id: str, scenario: Scenario) -> Document:
    event = IvrScenarioPublished(
        scenario_id=scenario.id,
        account_id=account_id,
        version=scenario.version,
        name=scenario.name,
        script=scenario.script,
        record=bool(scenario.record),
    )
    return outbox.outbox_entry(IVR_SCENARIOS.name, scenario.id, event)
