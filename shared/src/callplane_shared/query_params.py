"""Unknown query parameters are refused, not ignored: a misspelt filter (`pagesize`, `lable`)
that silently returns everything is worse than a 400 that names it."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant

from callplane_shared.http_errors import bad_request


def _declared(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


async def reject_unknown_query_parameters(request: Request) -> None:
    """An app-wide dependency: 400 naming every query parameter the matched operation does not
    declare."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    unknown = sorted(set(request.query_params) - _declared(dependant))
    if unknown:
        known = ", ".join(sorted(_declared(dependant))) or "none"
        raise bad_request(
            f"unknown query parameter {', '.join(unknown)}; this operation takes: {known}",
            unknown[0],
        )
