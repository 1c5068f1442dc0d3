"""Calls: the account's call history with filters, and one call's page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.public_api import segment
from console.web import BASE, Console, PageNotFoundError

STATES = (
    "CALLING",
    "RINGING",
    "ESTABLISHED",
    "FINISHED",
    "FAILED",
    "CANCELLED",
    "NO_ANSWER",
    "BUSY",
)
PAGE_SIZE = 50


def calls_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/calls")
    async def history(  # noqa: PLR0917 - the filter form's fields
        request: Request,
        from_: Annotated[str, Query(alias="from", max_length=32)] = "",
        to: Annotated[str, Query(max_length=32)] = "",
        status: Annotated[str, Query(max_length=20)] = "",
        after: Annotated[str, Query(max_length=32)] = "",
        before: Annotated[str, Query(max_length=32)] = "",
        page: Annotated[int, Query(ge=0, le=10_000)] = 0,
    ) -> Response:
        session, principal = console.principal(request)
        filters = {"from": from_, "to": to, "status": status, "after": after, "before": before}
        params: dict[str, Any] = {
            "from": from_ or None,
            "to": to or None,
            "status": status if status in STATES else None,
            "startTimeAfter": after or None,
            "startTimeBefore": before or None,
            "page": page,
            "size": PAGE_SIZE,
        }
        reply = await console.api.call(principal, "GET", "/calls/1/calls/history", params=params)
        return console.render(
            request,
            session,
            "calls.html",
            status=200 if reply.ok else reply.status,
            calls=reply.json().get("results") or [],
            paging=reply.json().get("paging") or {},
            problem=None if reply.ok else reply.problem,
            filters=filters,
            states=STATES,
            page=page,
        )

    @router.get("/calls/{callId}")
    async def call_page(request: Request, callId: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        reply = await console.api.call(
            principal, "GET", f"/calls/1/calls/{segment(callId)}/history"
        )
        if reply.status == 404:  # noqa: PLR2004
            raise PageNotFoundError
        return console.render(
            request,
            session,
            "call.html",
            status=reply.status,
            call=reply.json(),
            problem=None if reply.ok else reply.problem,
        )

    return router
