"""Infobip's Numbers operations: search the pool, lease, list, read, update, release."""

# No `from __future__ import annotations` here: FastAPI resolves the closure-local `Account`
# alias only when annotations are evaluated at definition time.

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import (
    ApiError,
    bad_request,
    conflict,
    not_found,
    quota_exceeded,
)
from callplane_shared.paging import PageNumber
from number_inventory.api_models import (
    NumberResponse,
    NumbersResponse,
    PurchaseNumberRequest,
    UpdateOwnedNumberRequest,
    number_response,
)
from number_inventory.domain.pool import Capability, InvalidNumberError, international_to_e164
from number_inventory.domain.search import MAX_LIMIT, Page, SearchError
from number_inventory.leasing import (
    ClaimLostError,
    CurrencyMismatchError,
    InsufficientFundsError,
    Leasing,
    NumberNotFoundError,
    NumberTakenError,
)
from number_inventory.voice_setups import VoiceSetups

AccountDependency = Callable[..., Awaitable[AccountUpserted]]
NumberKey = Annotated[str, Path(alias="numberKey", max_length=64)]


def _page(limit: int, page: int) -> Page:
    try:
        return Page(limit=limit, page=page)
    except SearchError as exc:
        raise bad_request(str(exc), exc.field) from exc


def _not_found(number_key: str) -> ApiError:
    return not_found(f"Number {number_key} is not one of your numbers.")


def _e164(raw: str) -> str:
    try:
        return international_to_e164(raw)
    except InvalidNumberError as exc:
        raise bad_request(
            f"{exc}; send the number in E.164, with or without '+'.", "number"
        ) from exc


def numbers_router(  # noqa: C901 - one closure per route
    leasing: Leasing, voice: VoiceSetups, current_account: AccountDependency, max_numbers: int
) -> APIRouter:
    router = APIRouter(prefix="/numbers/1/numbers", tags=["numbers"])
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.get("/available")
    async def get_available_numbers(
        _: Account,
        capabilities: Annotated[list[Capability] | None, Query(max_length=5)] = None,
        country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
        number: Annotated[str | None, Query(max_length=32)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        page: PageNumber = 0,
    ) -> NumbersResponse:
        try:
            docs, count = await leasing.search_available(
                capabilities or [], country, number, _page(limit, page)
            )
        except SearchError as exc:
            raise bad_request(str(exc), exc.field) from exc
        return NumbersResponse(
            numbers=[number_response(d, voice) for d in docs], number_count=count
        )

    @router.post("")
    async def purchase_number(account: Account, body: PurchaseNumberRequest) -> NumberResponse:
        if bool(body.number_key) == bool(body.number):
            raise bad_request("Give exactly one of numberKey or number.", "numberKey")
        e164 = _e164(body.number) if body.number else None
        quota = account.limits.numbers if account.limits.numbers is not None else max_numbers
        if await leasing.count_owned(account.account_id) >= quota:
            raise quota_exceeded("numbers", quota, "release a number or ask for a higher quota")
        try:
            doc = await leasing.purchase(
                account.account_id,
                number_key=body.number_key,
                e164=e164,
                application_id=body.application_id,
                entity_id=body.entity_id,
            )
        except NumberNotFoundError as exc:
            raise not_found(
                f"No number {body.number_key or body.number} in the pool; search "
                "GET /numbers/1/numbers/available."
            ) from exc
        except NumberTakenError as exc:
            raise conflict(
                f"Number {body.number_key or body.number} is not available any more; "
                "choose another from GET /numbers/1/numbers/available."
            ) from exc
        except InsufficientFundsError as exc:
            raise ApiError(402, str(exc), message_id="INSUFFICIENT_FUNDS") from exc
        except CurrencyMismatchError as exc:
            raise bad_request(f"Cannot buy this number: {exc}.", "numberKey") from exc
        except ClaimLostError as exc:
            raise conflict(
                f"The purchase of {exc} took too long and was undone; the price was refunded. "
                "Try again."
            ) from exc
        return number_response(doc, voice)

    @router.get("")
    async def list_owned_numbers(
        account: Account,
        number: Annotated[str | None, Query(max_length=32)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        page: PageNumber = 0,
    ) -> NumbersResponse:
        try:
            docs, count = await leasing.list_owned(account.account_id, number, _page(limit, page))
        except SearchError as exc:
            raise bad_request(str(exc), exc.field) from exc
        return NumbersResponse(
            numbers=[number_response(d, voice) for d in docs], number_count=count
        )

    @router.get("/{numberKey}")  # noqa: FAST003
    async def get_single_owned_number(account: Account, number_key: NumberKey) -> NumberResponse:
        try:
            doc = await leasing.owned(account.account_id, number_key)
        except NumberNotFoundError as exc:
            raise _not_found(number_key) from exc
        return number_response(doc, voice)

    @router.put("/{numberKey}")  # noqa: FAST003
    async def update_owned_number(
        account: Account,
        number_key: NumberKey,
        body: UpdateOwnedNumberRequest,
    ) -> NumberResponse:
        try:
            doc = await leasing.update(
                account.account_id, number_key, body.application_id, body.entity_id
            )
        except NumberNotFoundError as exc:
            raise _not_found(number_key) from exc
        return number_response(doc, voice)

    @router.delete("/{numberKey}", status_code=status.HTTP_204_NO_CONTENT)  # noqa: FAST003
    async def cancel_number(account: Account, number_key: NumberKey) -> Response:
        try:
            await leasing.release(account.account_id, number_key)
        except NumberNotFoundError as exc:
            raise _not_found(number_key) from exc
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
