"""Numbers: the account's numbers with their action; search available numbers with prices;
lease (a 402 says what is missing and links to the top-up); release after a confirmation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from callplane_shared.paging import MAX_PAGE
from console.api_errors import ApiProblem
from console.public_api import segment
from console.sessions import Principal
from console.web import BASE, ApiFailedError, Console, field

CAPABILITIES = ("VOICE", "SMS", "MMS", "WHATSAPP", "WHATSAPP_VOICE")
NUMBER_TYPES = (
    "VIRTUAL_LONG_NUMBER",
    "SHORT_CODE",
    "SIM_HOSTING",
    "VIRTUAL_SIM_HOSTING",
    "VIRTUAL_LONG_NUMBER_CALL_TRIGGER",
    "SHORT_CODE_USSD",
    "WHATSAPP",
)
SEARCH_LIMIT = 50
# My numbers, a page at a time: an account of 1,000 numbers drawn on one page took the render
# past its budget (services/console/bench/render.py); the API pages and filters by number.
LISTED = 50


async def _search(
    console: Console, principal: Principal, search: dict[str, Any]
) -> tuple[list[dict[str, Any]] | None, ApiProblem | None]:
    params = {
        "country": search["country"] or None,
        "number": search["pattern"] or None,
        "capabilities": search["capabilities"] or None,
        "limit": SEARCH_LIMIT,
    }
    reply = await console.api.call(principal, "GET", "/numbers/1/numbers/available", params=params)
    if not reply.ok:
        return None, reply.problem
    # The API has no type filter: the console filters the page it got.
    found = [
        n
        for n in reply.json().get("numbers") or []
        if not search["type"] or n.get("type") == search["type"]
    ]
    return found, None


def numbers_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    async def page(
        request: Request,
        search: dict[str, Any] | None,
        status: int = 200,
        listed: int = 0,
        mine_filter: str = "",
        **extra: Any,
    ) -> Response:
        session, principal = console.principal(request)
        params = {"limit": LISTED, "page": listed, "number": mine_filter or None}
        owned = await console.api.call(principal, "GET", "/numbers/1/numbers", params=params)
        mine = owned.json().get("numbers") or []
        count = owned.json().get("numberCount")
        found, problem = (None, None)
        if search is not None:
            found, problem = await _search(console, principal, search)
        return console.render(
            request,
            session,
            "numbers.html",
            status=status,
            mine=mine,
            mine_count=count if isinstance(count, int) else len(mine),
            mine_problem=None if owned.ok else owned.problem,
            listed=listed,
            listed_size=LISTED,
            mine_filter=mine_filter,
            found=found,
            search=search or {"country": "", "pattern": "", "type": "", "capabilities": []},
            search_problem=problem,
            capabilities=CAPABILITIES,
            types=NUMBER_TYPES,
            **extra,
        )

    @router.get("/numbers")
    async def numbers(  # noqa: PLR0917 - the search form's fields
        request: Request,
        country: Annotated[str, Query(max_length=2)] = "",
        pattern: Annotated[str, Query(max_length=32)] = "",
        type_: Annotated[str, Query(alias="type", max_length=40)] = "",
        capability: Annotated[list[str] | None, Query(max_length=len(CAPABILITIES))] = None,
        search: Annotated[str, Query(max_length=1)] = "",
        listed: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        mine: Annotated[str, Query(max_length=32)] = "",
    ) -> Response:
        wanted = None
        if search:
            wanted = {
                "country": country.strip().upper(),
                "pattern": pattern.strip(),
                "type": type_ if type_ in NUMBER_TYPES else "",
                "capabilities": [c for c in capability or [] if c in CAPABILITIES],
            }
        return await page(
            request, wanted, listed=listed, mine_filter=mine.strip(), lease_problem=None
        )

    @router.post("/numbers/lease")
    async def lease(request: Request) -> Response:
        session, principal = console.principal(request)
        form = await console.form(request, session)
        number_key = field(form, "numberKey", 64)
        reply = await console.api.call(
            principal, "POST", "/numbers/1/numbers", json={"numberKey": number_key}
        )
        if reply.ok:
            leased = reply.json()
            return console.redirect(
                session,
                f"/numbers/{segment(str(leased.get('numberKey')))}",
                flash=f"Leased +{leased.get('number')}. It has no action yet: choose one below.",
            )
        return await page(
            request,
            None,
            status=reply.status,
            lease_problem=reply.problem,
            lease_missing_funds=reply.status == 402,  # noqa: PLR2004 - Payment Required
        )

    _add_release(router, console)
    return router


def _add_release(router: APIRouter, console: Console) -> None:
    """Release asks first: a page that says what stops, then the POST that does it."""

    @router.get("/numbers/{numberKey}/release")
    async def confirm_release(request: Request, numberKey: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        reply = await console.api.call(principal, "GET", f"/numbers/1/numbers/{segment(numberKey)}")
        if not reply.ok:
            raise ApiFailedError("Number", reply)
        return console.render(request, session, "release.html", number=reply.json())

    @router.post("/numbers/{numberKey}/release")
    async def release(request: Request, numberKey: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        form = await console.form(request, session)
        if field(form, "confirm") != "yes":
            return console.redirect(session, f"/numbers/{segment(numberKey)}/release")
        reply = await console.api.call(
            principal, "DELETE", f"/numbers/1/numbers/{segment(numberKey)}"
        )
        if not reply.ok:
            raise ApiFailedError("Release", reply)
        return console.redirect(session, "/numbers", flash="Number released.")
