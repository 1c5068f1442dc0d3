"""The operator endpoint: one call's entry in the decision log ("why did this call go there?").

Support staff, not customers, read it, so it is guarded by an operator bearer token rather than an
account's API key.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path
from pydantic import SecretStr

from call_dispatch.decision_log import DecisionLog, to_view
from callplane_shared.http_errors import not_found, unauthorized
from callplane_shared.openapi_docs import errors

_BEARER = "bearer "


def operator_router(log: DecisionLog, token: SecretStr) -> APIRouter:
    expected = token.get_secret_value().encode()

    async def operator_only(
        authorization: Annotated[str | None, Header(max_length=1024)] = None,
    ) -> None:
        given = authorization or ""
        if not given.lower().startswith(_BEARER) or not secrets.compare_digest(
            given[len(_BEARER) :].strip().encode(), expected
        ):
            raise unauthorized("Send `Authorization: Bearer <operator token>`.")

    router = APIRouter(
        prefix="/dispatch/1",
        tags=["operator"],
        dependencies=[Depends(operator_only)],
        responses=errors(404),
    )

    @router.get("/calls/{call_id}")
    async def get_call(call_id: Annotated[str, Path(max_length=128)]) -> dict[str, Any]:
        """The decision logged for `call_id`: outcome, action and version, latency, trace id."""
        doc = await log.find(call_id)
        if doc is None:
            raise not_found(
                f"No decision logged for call {call_id} (yet: the log is written within a second)."
            )
        return to_view(doc)

    return router
