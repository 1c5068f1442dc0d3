"""IVR scenarios (`/voice/ivr/1/scenarios`), scoped to the account, scripts checked on write."""

from __future__ import annotations

import uuid

from action_config.domain.ivr_script import check_script
from action_config.domain.refusals import missing
from action_config.domain.targets import Scenario, ScenarioRequest
from action_config.domain.voice_setup import TargetKind
from action_config.store import Collections, now, without_internals
from action_config.target_lookup import Targets


class IvrScenarios:
    def __init__(self, collections: Collections, targets: Targets) -> None:
        self._col = collections.ivr_scenarios
        self._targets = targets

    async def create(self, account_id: str, request: ScenarioRequest) -> Scenario:
        check_script(request.script)
        at = now()
        scenario = Scenario.model_validate(
            {**request.model_dump(), "id": uuid.uuid4().hex, "create_time": at, "update_time": at}
        )
        await self._col.insert_one(
            {"_id": scenario.id, "accountId": account_id, **scenario.model_dump(by_alias=True)}
        )
        return scenario

    async def get(self, account_id: str, scenario_id: str) -> Scenario:
        doc = await self._col.find_one({"_id": scenario_id, "accountId": account_id})
        if doc is None:
            raise missing(f"IVR scenario {scenario_id} does not exist in your account")
        return Scenario.model_validate(without_internals(doc))

    async def search(
        self, account_id: str, page: int, page_size: int, name: str | None
    ) -> list[Scenario]:
        query: dict[str, object] = {"accountId": account_id}
        if name:
            query["name"] = name
        cursor = self._col.find(query).sort("createTime", 1).skip((page - 1) * page_size)
        return [
            Scenario.model_validate(without_internals(d)) async for d in cursor.limit(page_size)
        ]

    async def replace(
        self, account_id: str, scenario_id: str, request: ScenarioRequest
    ) -> Scenario:
        current = await self.get(account_id, scenario_id)
        check_script(request.script)
        scenario = Scenario.model_validate(
            {
                **request.model_dump(),
                "id": scenario_id,
                "create_time": current.create_time,
                "update_time": now(),
            }
        )
        await self._col.update_one(
            {"_id": scenario_id, "accountId": account_id},
            {"$set": scenario.model_dump(by_alias=True)},
        )
        return scenario

    async def delete(self, account_id: str, scenario_id: str) -> Scenario:
        scenario = await self.get(account_id, scenario_id)
        await self._targets.refuse_if_used(account_id, TargetKind.IVR_SCENARIO, scenario_id)
        await self._col.delete_one({"_id": scenario_id, "accountId": account_id})
        return scenario
