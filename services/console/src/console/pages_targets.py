"""The account's call targets (routes, IVR scenarios, calls configurations, masking
configurations): list, view and edit, create, delete after a confirmation. One router for the
four kinds: they differ only in their fields (`target_forms`).

None of these APIs offers If-Match (only a number's voice action does), so an edit is a plain
PUT. Another account's id is the API's 404, shown as this console's 404 page (invariant 5).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from callplane_shared.paging import MAX_PAGE
from console.api_errors import ApiProblem
from console.public_api import segment
from console.target_forms import (
    KINDS,
    LIST_SIZE,
    Kind,
    body_of,
    editable,
    field_message,
    form_values,
    unplaced,
    values_of,
    with_refused,
)
from console.web import BASE, Console, PageNotFoundError, field


def targets_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)
    for kind in KINDS.values():
        _add_kind(router, console, kind)
    return router


async def _fetch(console: Console, request: Request, kind: Kind, item_id: str) -> dict[str, Any]:
    _, principal = console.principal(request)
    reply = await console.api.call(principal, "GET", f"{kind.api}/{segment(item_id)}")
    if reply.status == 404:  # noqa: PLR2004 - not this account's, or not at all
        raise PageNotFoundError
    return reply.json()


def _add_kind(router: APIRouter, console: Console, kind: Kind) -> None:  # noqa: C901 - one nested function per page
    # Fixed paths per kind (no `/{slug}` catch-all that could shadow other pages or /static);
    # the create form is /new/{slug} because a calls configuration's id may well be "new".
    here = f"/{kind.slug}"

    async def form_page(
        request: Request,
        *,
        item: dict[str, Any] | None,
        values: dict[str, str],
        problem: ApiProblem | None = None,
        status: int = 200,
        secret: str | None = None,
    ) -> Response:
        session, _ = console.principal(request)
        fields = editable(kind, creating=item is None)
        names = tuple(f.name for f in fields)
        return console.render(
            request,
            session,
            "target.html",
            status=status,
            kind=kind,
            item=item,
            item_id=str(item.get(kind.id_key, "")) if item else "",
            fields=fields,
            values=values,
            problem=problem,
            messages={n: field_message(problem, n) for n in names},
            others=unplaced(problem, names),
            secret=secret,
        )

    @router.get(here)
    async def listing(
        request: Request, page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0
    ) -> Response:
        session, principal = console.principal(request)
        params = dict(kind.list_params)
        if kind.first_page is not None:
            params["page"] = kind.first_page + page
        reply = await console.api.call(principal, "GET", kind.api, params=params)
        items = reply.items()
        return console.render(
            request,
            session,
            "targets.html",
            status=200 if reply.ok else reply.status,
            kind=kind,
            items=items,
            page=page,
            more=kind.first_page is not None and len(items) >= LIST_SIZE,
            problem=None if reply.ok else reply.problem,
        )

    @router.get(f"/new/{kind.slug}")
    async def new(request: Request) -> Response:
        return await form_page(request, item=None, values=values_of(kind, None))

    @router.post(f"/new/{kind.slug}")
    async def create(request: Request) -> Response:
        session, principal = console.principal(request)
        values = form_values(kind, await console.form(request, session))
        body, refused = body_of(kind, values, creating=True)
        if refused:
            problem = with_refused(None, refused)
            return await form_page(request, item=None, values=values, problem=problem, status=400)
        reply = await console.api.call(principal, "POST", kind.api, json=body)
        if not reply.ok:
            return await form_page(
                request, item=None, values=values, problem=reply.problem, status=reply.status
            )
        created = reply.json()
        secret = created.pop(kind.shown_once, None) if kind.shown_once else None
        item_id = segment(str(created.get(kind.id_key)))
        if secret is None:
            return console.redirect(
                session, f"/{kind.slug}/{item_id}", flash=f"Created the {kind.singular}."
            )
        # Drawn once, in this answer, and kept nowhere: the API will not show it again either.
        return await form_page(
            request, item=created, values=values_of(kind, created), secret=str(secret)
        )

    @router.get(f"{here}/{{itemId}}")
    async def view(request: Request, itemId: str) -> Response:  # noqa: N803
        item = await _fetch(console, request, kind, itemId)
        return await form_page(request, item=item, values=values_of(kind, item))

    @router.post(f"{here}/{{itemId}}")
    async def update(request: Request, itemId: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        values = form_values(kind, await console.form(request, session))
        item = await _fetch(console, request, kind, itemId)
        body, refused = body_of(kind, values, creating=False)
        if refused:
            problem = with_refused(None, refused)
            return await form_page(request, item=item, values=values, problem=problem, status=400)
        path = f"{kind.api}/{segment(itemId)}"
        reply = await console.api.call(principal, "PUT", path, json=body)
        if reply.status == 404:  # noqa: PLR2004 - deleted meanwhile
            raise PageNotFoundError
        if not reply.ok:
            return await form_page(
                request, item=item, values=values, problem=reply.problem, status=reply.status
            )
        return console.redirect(
            session, f"/{kind.slug}/{segment(itemId)}", flash=f"Saved the {kind.singular}."
        )

    _add_delete(router, console, kind)


def _add_delete(router: APIRouter, console: Console, kind: Kind) -> None:
    """Delete asks first; a refusal (409: a number's action still names it) is shown there."""
    here = f"/{kind.slug}"

    @router.get(f"{here}/{{itemId}}/delete")
    async def confirm_delete(request: Request, itemId: str) -> Response:  # noqa: N803
        session, _ = console.principal(request)
        item = await _fetch(console, request, kind, itemId)
        return console.render(
            request, session, "target_delete.html", kind=kind, item=item, item_id=itemId
        )

    @router.post(f"{here}/{{itemId}}/delete")
    async def delete(request: Request, itemId: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        form = await console.form(request, session)
        item = await _fetch(console, request, kind, itemId)
        if field(form, "confirm") != "yes":
            return console.redirect(session, f"/{kind.slug}/{segment(itemId)}/delete")
        reply = await console.api.call(principal, "DELETE", f"{kind.api}/{segment(itemId)}")
        if reply.ok or reply.status == 404:  # noqa: PLR2004 - already gone is what was asked
            return console.redirect(session, f"/{kind.slug}", flash=f"Deleted the {kind.singular}.")
        # 409: still in use (a number's action names it); the API's text says by what.
        return console.render(
            request,
            session,
            "target_delete.html",
            status=reply.status,
            kind=kind,
            item=item,
            item_id=itemId,
            problem=reply.problem,
        )
