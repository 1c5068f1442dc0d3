"""`/callrouting/1/routes…`: routes in Infobip's shapes, plus simulate on the shared matcher."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from action_config.api_auth import Caller
from action_config.domain.refusals import missing
from action_config.domain.targets import PageInfo, page_info
from action_config.quotas import Quotas
from action_config.routes import Routes
from action_config.store import now
from callplane_shared.paging import MAX_PAGE
from callplane_shared.routing import CallFacts, Route, RouteRequest, RouteStatus
from callplane_shared.wire import WireModel

BASE = "/callrouting/1/routes"


class RoutePage(WireModel):
    results: list[Route]
    paging: PageInfo


class RouteOrder(WireModel):
    order: int = Field(ge=1, le=1_000_000)


class RouteStatusChange(WireModel):
    route_status: RouteStatus


class SimulatorEndpoint(WireModel):
    type: str = Field(default="PHONE", pattern="^(PHONE|SIP|WEBRTC|WHATSAPP)$")
    phone_number: str | None = Field(default=None, description="Caller (PHONE, WHATSAPP).")
    username: str | None = None
    host: str | None = None
    identity: str | None = None
    sip_trunk_id: str | None = None


class RouteSimulation(WireModel):
    to: str = Field(min_length=1)
    use_disabled_routes: bool = False
    endpoint: SimulatorEndpoint


def routes_router(  # noqa: C901 - one nested function per endpoint
    routes: Routes, caller: Callable[[Request], Awaitable[Caller]], quotas: Quotas
) -> APIRouter:
    router = APIRouter(tags=["call routing"])
    CallerDep = Annotated[Caller, Depends(caller)]  # noqa: N806

    @router.post(BASE, status_code=201)
    async def create_route(body: RouteRequest, who: CallerDep) -> Route:
        quotas.criteria_fit(len(body.criteria), who.limits)
        await quotas.route_may_be_added(who.account_id, who.limits)
        return await routes.create(who.account_id, body)

    @router.get(BASE)
    async def list_routes(
        who: CallerDep,
        nameContains: Annotated[str | None, Query(max_length=255)] = None,  # noqa: N803
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> RoutePage:
        found = await routes.all(who.account_id)
        if nameContains:
            found = [r for r in found if nameContains.lower() in r.name.lower()]
        chunk = found[page * size : (page + 1) * size]
        return RoutePage(results=chunk, paging=page_info(page, size, len(found)))

    @router.post(f"{BASE}/simulate")
    async def simulate_route(body: RouteSimulation, who: CallerDep) -> Route:
        ep = body.endpoint
        call = CallFacts(
            from_=ep.phone_number or ep.username or ep.identity or "",
            to=body.to,
            endpoint_type=ep.type,
            username=ep.username,
            host=ep.host,
            identity=ep.identity,
            sip_trunk_id=ep.sip_trunk_id,
        )
        route = await routes.simulate(who.account_id, call, now(), body.use_disabled_routes)
        if route is None:
            raise missing(
                "no route matches this call; with FORWARD_TO_CALL_ROUTING and no routeId the "
                "call would go to the number's fallback, or be rejected with NO_ROUTE"
            )
        return route

    @router.get(f"{BASE}/{{routeId}}")
    async def get_route(routeId: str, who: CallerDep) -> Route:  # noqa: N803
        return await routes.get(who.account_id, routeId)

    @router.put(f"{BASE}/{{routeId}}")
    async def replace_route(routeId: str, body: RouteRequest, who: CallerDep) -> Route:  # noqa: N803
        quotas.criteria_fit(len(body.criteria), who.limits)
        return await routes.replace(who.account_id, routeId, body)

    @router.patch(f"{BASE}/{{routeId}}")
    async def reorder_route(routeId: str, body: RouteOrder, who: CallerDep) -> Route:  # noqa: N803
        return await routes.set_order(who.account_id, routeId, body.order)

    @router.delete(f"{BASE}/{{routeId}}")
    async def delete_route(routeId: str, who: CallerDep) -> Route:  # noqa: N803
        return await routes.delete(who.account_id, routeId)

    @router.post(f"{BASE}/{{routeId}}/status")
    async def set_route_status(
        routeId: str,  # noqa: N803
        body: RouteStatusChange,
        who: CallerDep,
    ) -> Route:
        return await routes.set_status(who.account_id, routeId, body.route_status)

    return router
