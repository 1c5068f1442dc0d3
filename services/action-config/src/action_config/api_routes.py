"""`/callrouting/1/routes…`: routes in Infobip's shapes, plus simulate on the shared matcher."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AliasChoices, Field

from action_config.api_auth import Caller
from action_config.domain.refusals import missing
from action_config.domain.targets import PageInfo, page_info
from action_config.quotas import Quotas
from action_config.routes import Routes
from action_config.store import now
from callplane_shared.openapi_docs import errors
from callplane_shared.paging import MAX_PAGE
from callplane_shared.routing import CallFacts, Route, RouteRequest, RouteStatus
from callplane_shared.routing.models import MAX_ENTRIES, MAX_TEXT
from callplane_shared.wire import WireModel

BASE = "/callrouting/1/routes"
RouteId = Annotated[str, Path(max_length=64, examples=["7d1c3e0f..."])]


class RoutePage(WireModel):
    results: list[Route]
    paging: PageInfo


class RouteOrder(WireModel):
    order: int = Field(ge=1, le=1_000_000)


class RouteStatusChange(WireModel):
    route_status: RouteStatus


class SimulatorEndpoint(WireModel):
    """The calling side, in Infobip's simulator shape: `from` is the caller for every type (the
    phone number, the SIP username, the WebRTC identity)."""

    type: Literal["PHONE", "SIP", "WEBRTC", "WHATSAPP"] = "PHONE"
    from_: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        validation_alias=AliasChoices("from", "phoneNumber", "from_"),
        serialization_alias="from",
        description="Caller: phone number (PHONE), SIP username (SIP), identity (WEBRTC).",
        examples=["41441234567"],
    )
    sip_trunk_id: str | None = Field(default=None, max_length=MAX_TEXT)
    headers: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(
        default=None, max_length=MAX_ENTRIES, description="SIP headers of the call."
    )
    custom_data: dict[str, Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(
        default=None, max_length=MAX_ENTRIES, description="WebRTC custom data."
    )
    username: str | None = Field(
        default=None, max_length=MAX_TEXT, description="SIP user when it differs from `from`."
    )
    host: str | None = Field(default=None, max_length=MAX_TEXT, description="SIP host.")
    identity: str | None = Field(
        default=None, max_length=MAX_TEXT, description="WebRTC identity when not in `from`."
    )


class RouteSimulation(WireModel):
    to: str = Field(default="", max_length=MAX_TEXT, examples=["41793026731"])
    use_disabled_routes: bool = False
    endpoint: SimulatorEndpoint


def routes_router(  # noqa: C901 - one nested function per endpoint
    routes: Routes, caller: Callable[[Request], Awaitable[Caller]], quotas: Quotas
) -> APIRouter:
    # Infobip omits unset fields rather than sending null.
    router = APIRouter(tags=["call routing"], responses=errors(404))
    CallerDep = Annotated[Caller, Depends(caller)]  # noqa: N806

    @router.post(BASE, status_code=201, response_model_exclude_none=True)
    async def create_route(body: RouteRequest, who: CallerDep) -> Route:
        quotas.criteria_fit(len(body.criteria), who.limits)
        await quotas.route_may_be_added(who.account_id, who.limits)
        return await routes.create(who.account_id, body)

    @router.get(BASE, response_model_exclude_none=True)
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

    @router.post(f"{BASE}/simulate", response_model_exclude_none=True)
    async def simulate_route(body: RouteSimulation, who: CallerDep) -> Route:
        ep = body.endpoint
        call = CallFacts(
            from_=ep.from_ or ep.username or ep.identity or "",
            to=body.to,
            endpoint_type=ep.type,
            username=ep.username,
            host=ep.host,
            identity=ep.identity,
            sip_trunk_id=ep.sip_trunk_id,
            sip_headers=ep.headers or {},
            custom_data=ep.custom_data or {},
        )
        route = await routes.simulate(who.account_id, call, now(), body.use_disabled_routes)
        if route is None:
            raise missing(
                "no route matches this call; with FORWARD_TO_CALL_ROUTING and no routeId the "
                "call would go to the number's fallback, or be rejected with NO_ROUTE"
            )
        return route

    @router.get(f"{BASE}/{{routeId}}", response_model_exclude_none=True)
    async def get_route(routeId: RouteId, who: CallerDep) -> Route:  # noqa: N803
        return await routes.get(who.account_id, routeId)

    @router.put(f"{BASE}/{{routeId}}", responses=errors(409), response_model_exclude_none=True)
    async def replace_route(routeId: RouteId, body: RouteRequest, who: CallerDep) -> Route:  # noqa: N803
        quotas.criteria_fit(len(body.criteria), who.limits)
        return await routes.replace(who.account_id, routeId, body)

    @router.patch(f"{BASE}/{{routeId}}", responses=errors(409), response_model_exclude_none=True)
    async def reorder_route(routeId: RouteId, body: RouteOrder, who: CallerDep) -> Route:  # noqa: N803
        return await routes.set_order(who.account_id, routeId, body.order)

    @router.delete(f"{BASE}/{{routeId}}", responses=errors(409), response_model_exclude_none=True)
    async def delete_route(routeId: RouteId, who: CallerDep) -> Route:  # noqa: N803
        return await routes.delete(who.account_id, routeId)

    @router.post(
        f"{BASE}/{{routeId}}/status", responses=errors(409), response_model_exclude_none=True
    )
    async def set_route_status(
        routeId: RouteId,  # noqa: N803
        body: RouteStatusChange,
        who: CallerDep,
    ) -> Route:
        return await routes.set_status(who.account_id, routeId, body.route_status)

    return router
