"""The account's notification URL (where `BalanceLow` is delivered), set by the account under
/account/1/ and by operators under /admin/1/. The signing secret is answered by the PUT only."""

# No `from __future__ import annotations` here: FastAPI resolves the closure-local `Account`
# alias only when annotations are evaluated at definition time.

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import Field, SecretStr, field_validator

from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import not_found
from callplane_shared.openapi_docs import errors
from callplane_shared.webhooks.urls import MAX_URL_LENGTH, check_notify_url
from callplane_shared.wire import WireModel
from number_inventory.accounts import AccountNotFoundError, Accounts
from number_inventory.api_admin import admin_guard
from number_inventory.api_numbers import AccountDependency
from number_inventory.balance_notifications import NotificationEndpoints

AccountId = Annotated[str, Path(alias="accountId", max_length=64)]


class NotificationUrlRequest(WireModel):
    url: str = Field(max_length=MAX_URL_LENGTH, description="Where BalanceLow is POSTed (JSON).")
    _url = field_validator("url")(check_notify_url)


class NotificationUrl(WireModel):
    url: str


class NotificationUrlSet(NotificationUrl):
    secret: str = Field(
        description="Verify each notification's `X-Callplane-Signature` with it. Shown only here."
    )


def notifications_router(
    endpoints: NotificationEndpoints, current_account: AccountDependency
) -> APIRouter:
    router = APIRouter(prefix="/account/1", tags=["account"])
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.put("/notification-url")
    async def put_notification_url(
        body: NotificationUrlRequest, account: Account
    ) -> NotificationUrlSet:
        """Set where BalanceLow notifications go; a new signing secret each time."""
        secret = await endpoints.set(account.account_id, body.url)
        return NotificationUrlSet(url=body.url, secret=secret)

    @router.get("/notification-url", responses=errors(404))
    async def get_notification_url(account: Account) -> NotificationUrl:
        url = await endpoints.url(account.account_id)
        if url is None:
            raise not_found("No notification URL is set.")
        return NotificationUrl(url=url)

    @router.delete(
        "/notification-url", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404)
    )
    async def delete_notification_url(account: Account) -> Response:
        if not await endpoints.remove(account.account_id):
            raise not_found("No notification URL is set.")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


def admin_notifications_router(
    endpoints: NotificationEndpoints, accounts: Accounts, token: SecretStr
) -> APIRouter:
    router = APIRouter(prefix="/admin/1", tags=["admin"], dependencies=[admin_guard(token)])

    @router.put(
        "/accounts/{accountId}/notification-url",  # noqa: FAST003 - the alias of account_id
        responses=errors(404),
    )
    async def admin_put_notification_url(
        account_id: AccountId, body: NotificationUrlRequest
    ) -> NotificationUrlSet:
        """Set an account's notification URL for it; the new secret is answered once."""
        try:
            await accounts.get(account_id)
        except AccountNotFoundError as exc:
            raise not_found(f"Account {account_id} does not exist.") from exc
        secret = await endpoints.set(account_id, body.url)
        return NotificationUrlSet(url=body.url, secret=secret)

    return router
