"""Per-account quotas of action-config: routes, criteria per route, IVR scenarios and calls
configurations. Defaults come from the settings; an account's own limits (set by an operator
with `PUT /admin/1/accounts/{accountId}/limits`, carried by `AccountUpserted`) override them.
A refusal is 403 `QUOTA_EXCEEDED` naming the quota (invariant 8)."""

from __future__ import annotations

from dataclasses import dataclass

from action_config.store import Collections
from callplane_shared.events import AccountLimits
from callplane_shared.http_errors import quota_exceeded


@dataclass(frozen=True)
class QuotaDefaults:
    routes: int
    criteria_per_route: int
    scenarios: int
    configs: int


class Quotas:
    def __init__(self, collections: Collections, defaults: QuotaDefaults) -> None:
        self._c = collections
        self._defaults = defaults

    async def route_may_be_added(self, account_id: str, limits: AccountLimits) -> None:
        limit = _pick(limits.routes, self._defaults.routes)
        count = await self._c.routes.count_documents(
            {"accountId": account_id, "deleted": {"$ne": True}}
        )
        if count >= limit:
            raise quota_exceeded("routes", limit, "delete a route first")

    def criteria_fit(self, criteria: int, limits: AccountLimits) -> None:
        limit = _pick(limits.criteria_per_route, self._defaults.criteria_per_route)
        if criteria > limit:
            raise quota_exceeded("criteriaPerRoute", limit, "split the route in two")

    async def scenario_may_be_added(self, account_id: str, limits: AccountLimits) -> None:
        limit = _pick(limits.scenarios, self._defaults.scenarios)
        live = {"accountId": account_id, "deleted": {"$ne": True}}
        if await self._c.ivr_scenarios.count_documents(live) >= limit:
            raise quota_exceeded("scenarios", limit, "delete a scenario first")

    async def config_may_be_added(self, account_id: str, limits: AccountLimits) -> None:
        limit = _pick(limits.configs, self._defaults.configs)
        if await self._c.calls_configurations.count_documents({"accountId": account_id}) >= limit:
            raise quota_exceeded("configs", limit, "delete a calls configuration first")


def _pick(own: int | None, default: int) -> int:
    return default if own is None else own
