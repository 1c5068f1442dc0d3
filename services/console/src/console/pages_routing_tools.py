"""Two pages beside the targets' own: the route simulator (which route and destinations a call
would get) and the account's masking credentials (the signing key, generated here and shown once).

Registered before the targets' pages, whose `/routes/{id}` and `/masking/{key}` would otherwise
take these paths (route ids and masking keys are generated hex, never these words)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.public_api import Reply, segment
from console.sessions import Session
from console.target_forms import MASKING, ROUTES
from console.web import BASE, ApiFailedError, Console, PageNotFoundError, field

ENDPOINT_TYPES = ("PHONE", "SIP", "WEBRTC", "WHATSAPP")
CREDENTIALS = "/voice/masking/2/credentials"
KEY_BYTES = 24  # 48 hex characters: inside the API's [a-zA-Z0-9-]{8,256}


def destination_summary(destination: dict[str, Any]) -> str:
    """One line a person can check: where a destination sends the call."""
    kind = str(destination.get("type", ""))
    value = destination.get("value") or {}
    if kind == "URL":
        return f"URL {destination.get('url') or value.get('url') or ''}"
    if kind == "APPLICATION":
        return f"application {value.get('applicationId', '')}"
    endpoint = str(value.get("type", ""))
    target = (
        value.get("phoneNumber")
        or value.get("identity")
        or "@".join(str(v) for v in (value.get("username"), value.get("host")) if v)
        or value.get("sipTrunkId")
        or ""
    )
    return f"{endpoint} {target}".strip()


def _after_change(
    console: Console, session: Session, route_id: str, reply: Reply, done: str
) -> Response:
    if reply.status == 404:  # noqa: PLR2004 - not this account's, or not at all
        raise PageNotFoundError
    text = done if reply.ok else f"Not changed: {reply.problem.text}"
    return console.redirect(session, f"/{ROUTES.slug}/{segment(route_id)}", flash=text)


def routing_tools_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get(f"/{ROUTES.slug}/simulate")
    async def simulate_form(request: Request) -> Response:
        session, _ = console.principal(request)
        values = {"to": "", "type": "PHONE", "from": "", "useDisabledRoutes": ""}
        return console.render(
            request, session, "simulate.html", values=values, types=ENDPOINT_TYPES, route=None
        )

    @router.post(f"/{ROUTES.slug}/simulate")
    async def simulate(request: Request) -> Response:
        session, principal = console.principal(request)
        form = await console.form(request, session)
        values = {name: field(form, name, 255) for name in ("to", "type", "from")}
        values["useDisabledRoutes"] = field(form, "useDisabledRoutes", 2)
        body = {
            "to": values["to"],
            "useDisabledRoutes": values["useDisabledRoutes"] == "on",
            "endpoint": {"type": values["type"], "from": values["from"] or None},
        }
        reply = await console.api.call(principal, "POST", f"{ROUTES.api}/simulate", json=body)
        route = reply.json() if reply.ok else None
        return console.render(
            request,
            session,
            "simulate.html",
            status=200 if reply.ok or reply.status == 404 else reply.status,  # noqa: PLR2004 - no match is an answer
            values=values,
            types=ENDPOINT_TYPES,
            route=route,
            destinations=[
                (d.get("priority"), d.get("weight"), destination_summary(d))
                for d in (route or {}).get("destinations") or []
            ],
            problem=None if reply.ok else reply.problem,
        )

    @router.post(f"/{ROUTES.slug}/{{routeId}}/status")
    async def set_status(request: Request, routeId: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        wanted = field(await console.form(request, session), "routeStatus", 10)
        path = f"{ROUTES.api}/{segment(routeId)}/status"
        reply = await console.api.call(principal, "POST", path, json={"routeStatus": wanted})
        return _after_change(console, session, routeId, reply, f"Route {wanted.lower()}.")

    @router.post(f"/{ROUTES.slug}/{{routeId}}/order")
    async def set_order(request: Request, routeId: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        order = field(await console.form(request, session), "order", 8)
        path = f"{ROUTES.api}/{segment(routeId)}"
        body = {"order": int(order) if order.isdigit() else order}
        reply = await console.api.call(principal, "PATCH", path, json=body)
        return _after_change(console, session, routeId, reply, f"Route moved to order {order}.")

    @router.get(f"/{MASKING.slug}/credentials")
    async def credentials(request: Request) -> Response:
        session, principal = console.principal(request)
        reply = await console.api.call(principal, "GET", CREDENTIALS)
        if not reply.ok and reply.status != 404:  # noqa: PLR2004 - 404: none set
            raise ApiFailedError("Masking credentials", reply)
        api_id = reply.json().get("apiId") if reply.ok else None
        return console.render(
            request, session, "masking_credentials.html", api_id=api_id, key=None, problem=None
        )

    @router.post(f"/{MASKING.slug}/credentials")
    async def new_key(request: Request) -> Response:
        session, principal = console.principal(request)
        api_id = field(await console.form(request, session), "apiId", 100)
        key = secrets.token_hex(KEY_BYTES)
        body = {"apiId": api_id, "key": key}
        reply = await console.api.call(principal, "PUT", CREDENTIALS, json=body)
        # The key is drawn once, in this answer, and kept nowhere (neither session nor flash).
        return console.render(
            request,
            session,
            "masking_credentials.html",
            status=200 if reply.ok else reply.status,
            api_id=api_id,
            key=key if reply.ok else None,
            problem=None if reply.ok else reply.problem,
        )

    @router.post(f"/{MASKING.slug}/credentials/delete")
    async def delete_credentials(request: Request) -> Response:
        session, principal = console.principal(request)
        if field(await console.form(request, session), "confirm") != "yes":
            return console.redirect(session, f"/{MASKING.slug}/credentials")
        reply = await console.api.call(principal, "DELETE", CREDENTIALS)
        removed = reply.ok or reply.status == 404  # noqa: PLR2004 - 404: already none
        return console.redirect(
            session,
            f"/{MASKING.slug}/credentials",
            flash="Masking credentials removed: callbacks are no longer signed."
            if removed
            else f"Not removed: {reply.problem.text}",
        )

    return router
