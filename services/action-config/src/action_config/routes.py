"""Call-routing routes of an account: CRUD, order, status, simulate; each change on `voice.routes`.

A deleted route is first marked `deleted` with its tombstone staged in the same write, then
removed once the tombstone is out: a crash in between leaves the mark for the relay to finish.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from faststream.kafka import KafkaBroker

from action_config.domain.refusals import Refusal, missing
from action_config.domain.voice_setup import TargetKind
from action_config.store import Collections, without_internals
from action_config.target_lookup import Targets
from callplane_shared import outbox
from callplane_shared.events import RouteUpserted
from callplane_shared.mongo import Document
from callplane_shared.routing import (
    CallFacts,
    Route,
    RouteRequest,
    RouteStatus,
    match_route,
    route_pattern_errors,
)
from callplane_shared.topics import VOICE_ROUTES

LIVE = {"deleted": {"$ne": True}}


class Routes:
    def __init__(self, collections: Collections, targets: Targets, broker: KafkaBroker) -> None:
        self._routes = collections.routes
        self._targets = targets
        self._broker = broker

    async def _get_doc(self, account_id: str, route_id: str) -> Document:
        doc = await self._routes.find_one({"_id": route_id, "accountId": account_id, **LIVE})
        if doc is None:
            raise missing(f"route {route_id} does not exist in your account")
        return doc

    async def get(self, account_id: str, route_id: str) -> Route:
        return Route.model_validate(without_internals(await self._get_doc(account_id, route_id)))

    async def all(self, account_id: str) -> list[Route]:
        cursor = self._routes.find({"accountId": account_id, **LIVE}).sort("order", 1)
        return [Route.model_validate(without_internals(d)) async for d in cursor]

    async def create(self, account_id: str, request: RouteRequest) -> Route:
        _refuse_unsafe_patterns(request)
        last = await self._routes.find_one(
            {"accountId": account_id, **LIVE}, {"order": 1}, sort=[("order", -1)]
        )
        route = Route.model_validate(
            {
                **request.model_dump(by_alias=True),
                "id": uuid.uuid4().hex,
                "status": RouteStatus.ENABLED,
                "order": (int(last["order"]) + 1) if last else 1,
                "accountId": account_id,
                "version": 1,
            }
        )
        await self._routes.insert_one(
            {"_id": route.id, **_stored(route), outbox.OUTBOX_FIELD: [_staged(route)]}
        )
        await outbox.flush_after_commit(self._broker, self._routes, {"_id": route.id})
        return route

    async def replace(self, account_id: str, route_id: str, request: RouteRequest) -> Route:
        _refuse_unsafe_patterns(request)
        return await self._change(account_id, route_id, request.model_dump(by_alias=True))

    async def set_order(self, account_id: str, route_id: str, order: int) -> Route:
        return await self._change(account_id, route_id, {"order": order})

    async def set_status(self, account_id: str, route_id: str, status: RouteStatus) -> Route:
        return await self._change(account_id, route_id, {"status": status})

    async def _change(self, account_id: str, route_id: str, fields: Document) -> Route:
        doc = await self._get_doc(account_id, route_id)
        current = without_internals(doc)
        route = Route.model_validate({**current, **fields, "version": doc["version"] + 1})
        result = await self._routes.update_one(
            {"_id": route_id, "version": doc["version"], **LIVE},
            {"$set": _stored(route), "$push": outbox.push(_staged(route))},
        )
        if result.modified_count != 1:
            raise Refusal(409, f"route {route_id} changed at the same time; GET it and retry")
        await outbox.flush_after_commit(self._broker, self._routes, {"_id": route_id})
        return route

    async def delete(self, account_id: str, route_id: str) -> Route:
        route = await self.get(account_id, route_id)
        await self._targets.refuse_if_used(account_id, TargetKind.ROUTE, route_id)
        tombstone = outbox.outbox_entry(VOICE_ROUTES.name, route_id, None)
        await self._routes.update_one(
            {"_id": route_id, **LIVE},
            {"$set": {"deleted": True}, "$push": outbox.push(tombstone)},
        )
        await outbox.flush_after_commit(self._broker, self._routes, {"_id": route_id})
        await self._routes.delete_one({"_id": route_id, "deleted": True})
        return route

    async def simulate(
        self, account_id: str, call: CallFacts, now: datetime, include_disabled: bool
    ) -> Route | None:
        return match_route(await self.all(account_id), call, now, include_disabled=include_disabled)


def _refuse_unsafe_patterns(request: RouteRequest) -> None:
    errors = route_pattern_errors(request)
    if errors:
        field = next(iter(errors))
        raise Refusal(400, f"{field}: {errors[field][0]}", field)


def _stored(route: Route) -> Document:
    return route.model_dump(by_alias=True, mode="json")


def _staged(route: Route) -> Document:
    event = RouteUpserted(
        route_id=route.id, account_id=route.account_id, version=route.version, route=route
    )
    return outbox.outbox_entry(VOICE_ROUTES.name, route.id, event)
