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
from console.route_rows import (
    CALLER_LABELS,
    DESTINATION_LABELS,
    MAX_FIELDS,
    RouteRows,
    placed_keys,
    route_lists,
    row_messages,
    rows_of_form,
    rows_of_route,
)
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
from console.time_windows import EXAMPLE as WINDOWS_EXAMPLE
from console.web import (
    BASE,
    MAX_FORM_FIELDS,
    ApiFailedError,
    Console,
    PageNotFoundError,
    field,
)

NOT_SAVED = "Not saved yet: save the route to keep the rows as they are now."


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
    if not reply.ok:
        raise ApiFailedError(kind.title, reply)
    return reply.json()


def _add_kind(router: APIRouter, console: Console, kind: Kind) -> None:  # noqa: C901, PLR0915 - one nested function per page
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
        rows: RouteRows | None = None,
        note: str | None = None,
    ) -> Response:
        session, _ = console.principal(request)
        fields = editable(kind, creating=item is None)
        names = tuple(f.name for f in fields)
        placed = placed_keys(problem) if kind.rows else set()
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
            others={k: m for k, m in unplaced(problem, names).items() if k not in placed},
            secret=secret,
            rows=rows,
            row_messages=row_messages(problem) if kind.rows else {},
            caller_labels=CALLER_LABELS,
            destination_labels=DESTINATION_LABELS,
            windows_example=WINDOWS_EXAMPLE,
            note=note,
        )

    async def posted(
        request: Request, item: dict[str, Any] | None
    ) -> tuple[dict[str, Any], Response | None, RouteRows | None, dict[str, str]]:
        """The posted form as the API's body; or the page again when an add/remove button
        was pressed (nothing saved) or the console refuses a field itself."""
        session, _ = console.principal(request)
        form = await console.form(request, session, MAX_FIELDS if kind.rows else MAX_FORM_FIELDS)
        values = form_values(kind, form)
        rows = rows_of_form(form) if kind.rows else None
        op = field(form, "op", 32)
        if rows is not None and op:
            again = await form_page(
                request, item=item, values=values, rows=rows.apply(op), note=NOT_SAVED
            )
            return {}, again, rows, values
        body, refused = body_of(kind, values, creating=item is None)
        if rows is not None:
            lists, wrong = route_lists(rows)
            body.update(lists)
            refused |= wrong
        if refused:
            problem = with_refused(None, refused)
            again = await form_page(
                request, item=item, values=values, problem=problem, status=400, rows=rows
            )
            return body, again, rows, values
        return body, None, rows, values

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
        rows = RouteRows.new() if kind.rows else None
        return await form_page(request, item=None, values=values_of(kind, None), rows=rows)

    @router.post(f"/new/{kind.slug}")
    async def create(request: Request) -> Response:
        session, principal = console.principal(request)
        body, again, rows, values = await posted(request, None)
        if again is not None:
            return again
        reply = await console.api.call(principal, "POST", kind.api, json=body)
        if not reply.ok:
            return await form_page(
                request,
                item=None,
                values=values,
                problem=reply.problem,
                status=reply.status,
                rows=rows,
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
            request,
            item=created,
            values=values_of(kind, created),
            secret=str(secret),
            rows=rows_of_route(created) if kind.rows else None,
        )

    @router.get(f"{here}/{{itemId}}")
    async def view(request: Request, itemId: str) -> Response:  # noqa: N803
        item = await _fetch(console, request, kind, itemId)
        rows = rows_of_route(item) if kind.rows else None
        return await form_page(request, item=item, values=values_of(kind, item), rows=rows)

    @router.post(f"{here}/{{itemId}}")
    async def update(request: Request, itemId: str) -> Response:  # noqa: N803
        session, principal = console.principal(request)
        item = await _fetch(console, request, kind, itemId)
        body, again, rows, values = await posted(request, item)
        if again is not None:
            return again
        path = f"{kind.api}/{segment(itemId)}"
        reply = await console.api.call(principal, "PUT", path, json=body)
        if reply.status == 404:  # noqa: PLR2004 - deleted meanwhile
            raise PageNotFoundError
        if not reply.ok:
            return await form_page(
                request,
                item=item,
                values=values,
                problem=reply.problem,
                status=reply.status,
                rows=rows,
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
