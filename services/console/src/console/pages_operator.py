"""For operators (signed in with the admin token): one call's whole record and its trace as a
waterfall drawn from Jaeger's query API, so "follow a call" works without a tracing UI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.public_api import segment
from console.sessions import Role
from console.waterfall import Waterfall, waterfall
from console.web import BASE, Console, PageNotFoundError


async def _trace(console: Console, trace_id: str) -> tuple[Waterfall | None, str | None]:
    if not trace_id:
        return None, "The call was recorded without a trace id."
    jaeger = console.settings.console_jaeger_query_url.rstrip("/")
    found = await console.api.get_url(f"{jaeger}/api/traces/{segment(trace_id)}")
    data = found.json().get("data") or []
    if found.ok and data:
        return waterfall(data[0]), None
    if found.unavailable:
        return None, f"Jaeger's query API is unavailable ({found.problem.text}): reload to retry."
    return None, f"Trace {trace_id} is not in Jaeger (yet): reload in a few seconds."


def operator_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/operator")
    async def operator_home(
        request: Request,
        call_id: Annotated[str, Query(alias="callId", max_length=128)] = "",
    ) -> Response:
        session, _ = console.principal(request, Role.OPERATOR)
        if call_id:
            return console.redirect(session, f"/operator/calls/{segment(call_id)}")
        return console.render(request, session, "operator.html")

    @router.get("/operator/calls/{callId}")
    async def operator_call(request: Request, callId: str) -> Response:  # noqa: N803
        session, _ = console.principal(request, Role.OPERATOR)
        token = console.settings.records_operator_token
        record: dict[str, Any] = {}
        problem = None
        if token is None:
            problem = "RECORDS_OPERATOR_TOKEN is not set for the console: no call lookup."
        else:
            reply = await console.api.send(
                "GET",
                f"/records/1/calls/{segment(callId)}",
                headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            )
            if reply.status == 404:  # noqa: PLR2004
                raise PageNotFoundError
            record = reply.json()
            problem = None if reply.ok else reply.problem.text
        trace, trace_problem = (None, None)
        if record:
            trace, trace_problem = await _trace(console, str(record.get("traceId") or ""))
        return console.render(
            request,
            session,
            "operator_call.html",
            call_id=callId,
            record=record,
            problem=problem,
            trace=trace,
            trace_problem=trace_problem,
        )

    return router
