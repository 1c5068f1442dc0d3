"""Number details: the number's one inbound action, set with If-Match so that a change made
elsewhere since this page was drawn is shown as a conflict (412) instead of being overwritten;
the pick-lists of the account's targets; the change history."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api_errors import ApiProblem
from console.public_api import Reply, segment
from console.sessions import Principal
from console.voice_form import (
    ACTION_LABELS,
    NO_ACTION,
    REJECT_REASONS,
    form_values,
    setup_body,
    values_of,
)
from console.web import BASE, ApiFailedError, Console, PageNotFoundError, field

LISTS = {
    "maskingConfigs": ("/voice/masking/2/config", {}),
    "callsConfigurations": ("/calls/1/configurations", {"size": 100}),
    "routes": ("/callrouting/1/routes", {"size": 100}),
    "scenarios": ("/voice/ivr/1/scenarios", {"pageSize": 100}),
}

UNREAD = {
    "maskingConfigs": "masking configurations",
    "callsConfigurations": "calls configurations",
    "routes": "routes",
    "scenarios": "IVR scenarios",
    "history": "change history",
}


def _version(voice: Reply, history: Reply) -> str:
    """The number's current version: the ETag when it has an action, else the newest change
    (a number whose action was removed still has a version; a fresh one is 0)."""
    if voice.ok and voice.etag:
        return voice.etag.strip('"')
    versions = history.json().get("versions") or []
    return str(versions[0].get("version", 0)) if versions else "0"


def voice_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    async def details(
        request: Request,
        number_key: str,
        *,
        values: dict[str, str] | None = None,
        problem: ApiProblem | None = None,
        conflict: bool = False,
        status: int = 200,
    ) -> Response:
        session, principal = console.principal(request)
        key = segment(number_key)
        # All at once: none needs another's answer. For another account's number every part is
        # a 404 of that account's own view (invariant 5), and the page below is the 404 page.
        number, voice, history, *lists = await asyncio.gather(
            console.api.call(principal, "GET", f"/numbers/1/numbers/{key}"),
            console.api.call(principal, "GET", f"/numbers/2/numbers/{key}/voice"),
            console.api.call(
                principal, "GET", f"/numbers/2/numbers/{key}/voice/history", params={"size": 20}
            ),
            *(_list(console, principal, path, params) for path, params in LISTS.values()),
        )
        if number.status == 404:  # noqa: PLR2004 - not this account's, or not at all
            raise PageNotFoundError
        if not number.ok:
            raise ApiFailedError("Number details", number)
        # 404 is "no action"; any other failure leaves the action unknown, and a form drawn as
        # "No action" over it could be saved as such.
        if not voice.ok and voice.status != 404:  # noqa: PLR2004
            raise ApiFailedError("Number details", voice)
        current = values_of(voice.json() if voice.ok else None)
        return console.render(
            request,
            session,
            "number.html",
            status=status,
            number=number.json(),
            current=current,
            values=values or current,
            version=_version(voice, history),
            history=history.json().get("versions") or [],
            problem=problem,
            conflict=conflict,
            labels=ACTION_LABELS,
            reasons=REJECT_REASONS,
            # A pick-list or the history the API could not give says so, not "none" (a 404 is
            # a number action-config has not seen leased yet: no history indeed).
            unread={
                UNREAD[name]: reply.problem.text
                for name, reply in zip((*LISTS, "history"), (*lists, history), strict=True)
                if not reply.ok and reply.status != 404  # noqa: PLR2004
            },
            **dict(zip(LISTS, (reply.items() for reply in lists), strict=True)),
        )

    @router.get("/numbers/{numberKey}")
    async def number_page(request: Request, numberKey: str) -> Response:  # noqa: N803
        return await details(request, numberKey)

    @router.post("/numbers/{numberKey}/voice")
    async def save(request: Request, numberKey: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        form = await console.form(request, session)
        values = form_values(form)
        version = field(form, "version", 20)
        key = segment(numberKey)
        body = setup_body(values)
        path = f"/numbers/2/numbers/{key}/voice"
        if_match = f'"{version}"' if version.isdigit() else None
        if body is None:
            reply = await console.api.call(principal, "DELETE", path, if_match=if_match)
            done = reply.ok or (reply.status == 404 and values.get("actionType") == NO_ACTION)  # noqa: PLR2004
        else:
            reply = await console.api.call(principal, "PUT", path, json=body, if_match=if_match)
            done = reply.ok
        if done:
            return console.redirect(session, f"/numbers/{key}", flash="Voice action saved.")
        if reply.status == 404:  # noqa: PLR2004
            raise PageNotFoundError
        return await details(
            request,
            numberKey,
            values=values,
            problem=reply.problem,
            conflict=reply.status == 412,  # noqa: PLR2004 - Precondition Failed
            status=reply.status,
        )

    return router


async def _list(console: Console, principal: Principal, path: str, params: dict[str, Any]) -> Reply:
    return await console.api.call(principal, "GET", path, params=params)
