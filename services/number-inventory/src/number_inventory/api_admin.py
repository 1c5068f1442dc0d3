"""Operator endpoints: accounts, API keys and pool imports, behind `Authorization: Admin <token>`.

Not part of Infobip's API; nginx exposes them under /admin/1/ only for local development, and a
deployment keeps them on the chart's internal Ingress (or behind an allowlist).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import SecretStr

from callplane_shared.events import AccountLimits
from callplane_shared.http_errors import ApiError, bad_request, not_found
from number_inventory.accounts import AccountNotFoundError, Accounts
from number_inventory.api_admin_payments import admin_payments_router
from number_inventory.api_models import (
    AccountResponse,
    ApiKeyResponse,
    CreateAccountRequest,
    ImportResponse,
    account_response,
)
from number_inventory.domain.money import to_minor
from number_inventory.importer import import_csv
from number_inventory.payments import Payments
from number_inventory.store import Collections

MAX_CSV_BYTES = 5 * 1024 * 1024
IMPORT_PATH = "/admin/1/numbers/import"
AccountId = Annotated[str, Path(alias="accountId", max_length=64)]


def admin_guard(token: SecretStr) -> Any:
    expected = token.get_secret_value().encode()

    async def dependency(request: Request) -> None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "admin" or not hmac.compare_digest(
            credential.strip().encode(), expected
        ):
            raise ApiError(
                401,
                "Admin endpoints need `Authorization: Admin <ADMIN_TOKEN>`.",
                headers={"WWW-Authenticate": "Admin"},
            )

    return Depends(dependency)


def admin_router(  # noqa: C901 - one closure per route
    accounts: Accounts, payments: Payments, collections: Collections, token: SecretStr
) -> APIRouter:
    router = APIRouter(prefix="/admin/1", tags=["admin"], dependencies=[admin_guard(token)])
    router.include_router(admin_payments_router(payments))

    def _missing(account_id: str) -> ApiError:
        return not_found(f"No account {account_id}.")

    @router.post("/accounts", response_model=AccountResponse, status_code=201)
    async def create_account(body: CreateAccountRequest) -> AccountResponse:
        balance = to_minor(body.balance)
        return account_response(await accounts.create(body.name, body.currency, balance), balance)

    @router.get("/accounts/{accountId}", response_model=AccountResponse)  # noqa: FAST003
    async def get_account(account_id: AccountId) -> AccountResponse:
        try:
            doc = await accounts.get(account_id)
        except AccountNotFoundError as exc:
            raise _missing(account_id) from exc
        return account_response(doc, await accounts.ledger.balance(account_id))

    @router.put("/accounts/{accountId}/limits", response_model=AccountResponse)  # noqa: FAST003
    async def set_account_limits(account_id: AccountId, body: AccountLimits) -> AccountResponse:
        """Per-account rate limits and quotas; null fields keep the services' defaults."""
        try:
            doc = await accounts.set_limits(account_id, body)
        except AccountNotFoundError as exc:
            raise _missing(account_id) from exc
        return account_response(doc, await accounts.ledger.balance(account_id))

    @router.post("/accounts/{accountId}/api-keys", response_model=ApiKeyResponse, status_code=201)  # noqa: FAST003
    async def issue_api_key(account_id: AccountId) -> ApiKeyResponse:
        try:
            issued = await accounts.issue_key(account_id)
        except AccountNotFoundError as exc:
            raise _missing(account_id) from exc
        return ApiKeyResponse(
            account_id=issued.account_id, key_id=issued.key_id, api_key=issued.api_key
        )

    @router.delete("/accounts/{accountId}/api-keys/{keyId}", status_code=204)  # noqa: FAST003
    async def revoke_api_key(
        account_id: AccountId, key_id: Annotated[str, Path(alias="keyId", max_length=64)]
    ) -> Response:
        try:
            revoked = await accounts.revoke_key(account_id, key_id)
        except AccountNotFoundError as exc:
            raise _missing(account_id) from exc
        if not revoked:
            raise not_found(f"Account {account_id} has no API key {key_id}.")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post(
        "/numbers/import",
        response_model=ImportResponse,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        },
    )
    async def import_numbers(request: Request) -> ImportResponse:
        body = await request.body()  # bounded by BodyLimitMiddleware (MAX_CSV_BYTES here)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad_request("The CSV must be UTF-8.", "body") from exc
        report = await import_csv(collections, text)
        return ImportResponse(
            imported=report.imported, existing=report.existing, errors=report.errors
        )

    return router
