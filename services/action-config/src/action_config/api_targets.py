"""`/calls/1/configurations…` and `/voice/ivr/1/scenarios…`, account-scoped."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from action_config.api_auth import Caller
from action_config.calls_configurations import CallsConfigurations
from action_config.domain.targets import (
    CallsConfiguration,
    CallsConfigurationCreate,
    CallsConfigurationPage,
    CallsConfigurationUpdate,
    Scenario,
    ScenarioCreated,
    ScenarioRequest,
)
from action_config.ivr_scenarios import IvrScenarios
from action_config.quotas import Quotas
from callplane_shared.openapi_docs import errors
from callplane_shared.paging import MAX_PAGE

CONFIGS = "/calls/1/configurations"
SCENARIOS = "/voice/ivr/1/scenarios"
ConfigId = Annotated[str, Path(max_length=128, examples=["my-config"])]
ScenarioId = Annotated[str, Path(max_length=64, examples=["3f2a..."])]


def targets_router(  # noqa: C901 - one nested function per endpoint
    configs: CallsConfigurations,
    scenarios: IvrScenarios,
    caller: Callable[[Request], Awaitable[Caller]],
    quotas: Quotas,
) -> APIRouter:
    # Infobip omits unset fields rather than sending null.
    router = APIRouter(responses=errors(404))
    CallerDep = Annotated[Caller, Depends(caller)]  # noqa: N806
    config_id = f"{CONFIGS}/{{callsConfigurationId}}"

    @router.post(
        CONFIGS,
        status_code=201,
        tags=["calls configurations"],
        responses=errors(409),
        response_model_exclude_none=True,
    )
    async def create_calls_configuration(
        body: CallsConfigurationCreate, who: CallerDep
    ) -> CallsConfiguration:
        await quotas.config_may_be_added(who.account_id, who.limits)
        return await configs.create(who.account_id, body)

    @router.get(CONFIGS, tags=["calls configurations"])
    async def list_calls_configurations(
        who: CallerDep,
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> CallsConfigurationPage:
        return await configs.page(who.account_id, page, size)

    @router.get(config_id, tags=["calls configurations"])
    async def get_calls_configuration(
        callsConfigurationId: ConfigId,  # noqa: N803 - Infobip's path parameter name
        who: CallerDep,
    ) -> CallsConfiguration:
        return await configs.get(who.account_id, callsConfigurationId)

    @router.put(config_id, tags=["calls configurations"])
    async def update_calls_configuration(
        callsConfigurationId: ConfigId,  # noqa: N803
        body: CallsConfigurationUpdate,
        who: CallerDep,
    ) -> CallsConfiguration:
        return await configs.rename(who.account_id, callsConfigurationId, body.name)

    @router.delete(config_id, tags=["calls configurations"], responses=errors(409))
    async def delete_calls_configuration(
        callsConfigurationId: ConfigId,  # noqa: N803
        who: CallerDep,
    ) -> CallsConfiguration:
        return await configs.delete(who.account_id, callsConfigurationId)

    @router.get(SCENARIOS, tags=["IVR scenarios"], response_model_exclude_none=True)
    async def search_scenarios(
        who: CallerDep,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        pageSize: Annotated[int, Query(ge=1, le=100)] = 50,  # noqa: N803
        name: Annotated[str | None, Query(max_length=255)] = None,
    ) -> list[Scenario]:
        return await scenarios.search(who.account_id, page, pageSize, name)

    @router.post(SCENARIOS, tags=["IVR scenarios"], response_model_exclude_none=True)
    async def create_scenario(body: ScenarioRequest, who: CallerDep) -> ScenarioCreated:
        """The answer's `notifySecret` signs the scenario's notifications; it is shown once."""
        await quotas.scenario_may_be_added(who.account_id, who.limits)
        return await scenarios.create(who.account_id, body)

    @router.get(f"{SCENARIOS}/{{id}}", tags=["IVR scenarios"], response_model_exclude_none=True)
    async def get_scenario(id: ScenarioId, who: CallerDep) -> Scenario:  # noqa: A002
        return await scenarios.get(who.account_id, id)

    @router.put(f"{SCENARIOS}/{{id}}", tags=["IVR scenarios"], response_model_exclude_none=True)
    async def replace_scenario(id: ScenarioId, body: ScenarioRequest, who: CallerDep) -> Scenario:  # noqa: A002
        return await scenarios.replace(who.account_id, id, body)

    @router.delete(
        f"{SCENARIOS}/{{id}}",
        tags=["IVR scenarios"],
        responses=errors(409),
        response_model_exclude_none=True,
    )
    async def delete_scenario(id: ScenarioId, who: CallerDep) -> Scenario:  # noqa: A002
        """Infobip answers 200 with the deleted scenario."""
        return await scenarios.delete(who.account_id, id)

    return router
