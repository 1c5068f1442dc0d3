"""Operator endpoints (support staff, bearer token): one call's full record, and per-account
price overrides. Not for customers: they see their calls through the history API."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import SecretStr

from call_records.domain.call_log import operator_view
from call_records.domain.rating import PriceList
from call_records.overrides import PriceOverrides
from call_records.records import RecordStore
from callplane_shared.http_errors import not_found, unauthorized
from callplane_shared.openapi_docs import errors

_BEARER = "bearer "
AccountId = Annotated[str, Path(alias="accountId", pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def operator_router(store: RecordStore, overrides: PriceOverrides, token: SecretStr) -> APIRouter:
    expected = token.get_secret_value().encode()

    async def operator_only(authorization: Annotated[str | None, Header()] = None) -> None:
        given = authorization or ""
        if not given.lower().startswith(_BEARER) or not secrets.compare_digest(
            given[len(_BEARER) :].strip().encode(), expected
        ):
            raise unauthorized("Send `Authorization: Bearer <operator token>`.")

    router = APIRouter(
        prefix="/records/1",
        tags=["operator"],
        dependencies=[Depends(operator_only)],
        responses=errors(404, 413),
    )

    @router.get("/calls/{callId}")
    async def get_call(
        call_id: Annotated[str, Path(alias="callId", max_length=128)],
    ) -> dict[str, Any]:
        """The call's whole record: decisions (action version, path, latency, trace id),
        statuses, charge."""
        doc = await store.get(call_id)
        if doc is None:
            raise not_found(
                f"No record of call {call_id} (yet: records appear as soon as its events arrive)."
            )
        return operator_view(doc)

    @router.get("/accounts/{accountId}/prices")  # noqa: FAST003 - aliased AccountId
    async def get_prices(account_id: AccountId) -> dict[str, Any]:
        found = await overrides.get(account_id)
        if found is None:
            raise not_found(f"Account {account_id} has no price override.")
        return found.model_dump(mode="json", by_alias=True)

    @router.put("/accounts/{accountId}/prices")  # noqa: FAST003
    async def put_prices(account_id: AccountId, body: PriceList) -> dict[str, Any]:
        """Replace the account's override price list (same shape as the price list file)."""
        await overrides.put(account_id, body)
        return body.model_dump(mode="json", by_alias=True)

    @router.delete("/accounts/{accountId}/prices", status_code=204)  # noqa: FAST003
    async def delete_prices(account_id: AccountId) -> Response:
        if not await overrides.delete(account_id):
            raise not_found(f"Account {account_id} has no price override.")
        return Response(status_code=204)

    return router
