"""Balance and top-ups of the caller's account."""

# No `from __future__ import annotations` here: FastAPI resolves the closure-local `Account`
# alias only when annotations are evaluated at definition time.

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from callplane_shared.events import AccountUpserted
from callplane_shared.http_errors import bad_request, conflict
from callplane_shared.openapi_docs import errors
from number_inventory.accounts import Accounts
from number_inventory.api_models import (
    BalanceResponse,
    PaymentRequest,
    PaymentResponse,
    payment_response,
)
from number_inventory.api_numbers import AccountDependency
from number_inventory.domain.money import MoneyError, to_minor, to_units
from number_inventory.payments import MAX_IDEMPOTENCY_KEY, IdempotencyConflictError, Payments


def account_router(
    accounts: Accounts, payments: Payments, current_account: AccountDependency
) -> APIRouter:
    router = APIRouter(prefix="/account/1", tags=["account"], responses=errors(409))
    Account = Annotated[AccountUpserted, Depends(current_account)]  # noqa: N806

    @router.get("/balance")
    async def get_balance(account: Account) -> BalanceResponse:
        balance = await accounts.ledger.balance(account.account_id)
        return BalanceResponse(balance=to_units(balance), currency=account.currency)

    @router.post("/payments", status_code=201)
    async def top_up(
        account: Account,
        body: PaymentRequest,
        response: Response,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                max_length=MAX_IDEMPOTENCY_KEY,
                description="Repeat a payment safely: the same key answers the same, once.",
            ),
        ] = None,
    ) -> PaymentResponse:
        try:
            amount = to_minor(body.amount)
        except MoneyError as exc:
            raise bad_request(str(exc), "amount") from exc
        try:
            payment = await payments.top_up(account.account_id, amount, idempotency_key)
        except IdempotencyConflictError as exc:
            raise conflict(str(exc)) from exc
        if payment.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        response.status_code = status.HTTP_201_CREATED
        return payment_response(payment.response)

    return router
