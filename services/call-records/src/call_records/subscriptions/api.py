"""`/subscriptions/1/subscription/VOICE_VIDEO…`: Infobip's Subscriptions API, scoped to the
caller's account (another account's subscriptionId answers 404, like one that does not exist:
invariant 5) and bounded per account."""

# No `from __future__ import annotations`: FastAPI resolves the closure-local `Account` alias
# only when annotations are evaluated at definition time.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from call_records.subscriptions.model import URL_SAFE_ID, NewSubscription, SubscriptionBody
from call_records.subscriptions.store import (
    SubscriptionExistsError,
    SubscriptionStore,
    UnknownAuthIdError,
    public_view,
)
from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import bad_request, conflict, not_found, quota_exceeded
from callplane_shared.openapi_docs import errors

Channel = Annotated[
    Literal["VOICE_VIDEO"],
    Path(description="Only VOICE_VIDEO: call events of calls decided to a calls configuration."),
]
MAX_SIZE = 100
MAX_PAGE = 10_000


def _id_only(doc: dict[str, Any]) -> dict[str, Any]:
    view = public_view(doc)
    profile = {k: v for k, v in view["profile"].items() if k in {"profileId", "security"}}
    if "security" in profile:
        profile["security"] = {"authId": profile["security"]["authId"]}
    return {"subscriptionId": view["subscriptionId"], "profile": profile}


async def _channel(channel: Channel) -> None:
    """Validated by its type; nothing else depends on it while VOICE_VIDEO is the only one."""


def subscriptions_router(  # noqa: C901 - one closure per endpoint, as FastAPI routers go
    store: SubscriptionStore,
    current_account: Callable[[Request], Awaitable[AccountUpserted]],
    per_account: int,
) -> APIRouter:
    router = APIRouter(
        prefix="/subscriptions/1/subscription/{channel}",
        tags=["subscriptions"],
        responses=errors(404),
        dependencies=[Depends(_channel)],
    )
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.post("", status_code=201, responses=errors(400, 403, 409))
    async def create_subscription(account: Account, body: NewSubscription) -> dict[str, Any]:
        """Create a subscription: which call events, for which calls configurations, to which
        webhook, signed how. The secret in `profile.security.credentials` is never returned."""
        if await store.count(account.account_id) >= per_account:
            raise quota_exceeded(
                "subscriptions", per_account, "delete one you no longer need, or ask support"
            )
        try:
            doc = await store.create(account.account_id, body)
        except SubscriptionExistsError:
            raise conflict(f"Subscription {body.subscription_id} already exists.") from None
        except UnknownAuthIdError as exc:
            raise _unknown_auth(exc) from None
        return _id_only(doc)

    @router.get("")
    async def get_subscriptions(
        account: Account,
        calls_configuration_id: Annotated[
            str | None, Query(alias="callsConfigurationId", max_length=128)
        ] = None,
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
    ) -> dict[str, Any]:
        """The account's subscriptions, newest first."""
        docs, total = await store.page(account.account_id, calls_configuration_id, page, size)
        return {
            "results": [public_view(d) for d in docs],
            "paging": {
                "page": page,
                "size": size,
                "totalPages": (total + size - 1) // size,
                "totalResults": total,
            },
        }

    @router.get("/{subscriptionId}")
    async def get_subscription(
        account: Account,
        subscription_id: Annotated[str, Path(alias="subscriptionId", pattern=URL_SAFE_ID)],
    ) -> dict[str, Any]:
        """One subscription (no secret)."""
        doc = await store.get(account.account_id, subscription_id)
        if doc is None:
            raise _missing(subscription_id)
        return public_view(doc)

    @router.put("/{subscriptionId}", responses=errors(400))
    async def update_subscription(
        account: Account,
        subscription_id: Annotated[str, Path(alias="subscriptionId", pattern=URL_SAFE_ID)],
        body: SubscriptionBody,
    ) -> dict[str, Any]:
        """Replace everything but the id. `profile.security` with only the stored `authId` keeps
        the stored credentials, so a change of URL or events need not resend the secret."""
        try:
            doc = await store.replace(account.account_id, subscription_id, body)
        except UnknownAuthIdError as exc:
            raise _unknown_auth(exc) from None
        if doc is None:
            raise _missing(subscription_id)
        return _id_only(doc)

    @router.delete("/{subscriptionId}")
    async def delete_subscription(
        account: Account,
        subscription_id: Annotated[str, Path(alias="subscriptionId", pattern=URL_SAFE_ID)],
    ) -> dict[str, Any]:
        """Delete it; events still queued for it are dropped."""
        if not await store.delete(account.account_id, subscription_id):
            raise _missing(subscription_id)
        return {"subscriptionId": subscription_id}

    return router


def _missing(subscription_id: str) -> Exception:
    return not_found(f"No subscription {subscription_id} in this account.")


def _unknown_auth(exc: UnknownAuthIdError) -> Exception:
    return bad_request(
        f"profile.security names authId {exc} without credentials, and the subscription has no "
        "such security settings: send type and credentials",
        "profile.security",
    )
