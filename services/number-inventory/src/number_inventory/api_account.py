"""Balance and payments (top-ups) of the caller's account."""

# No `from __future__ import annotations` here: FastAPI resolves the closure-local `Account`
# alias only when annotations are evaluated at definition time.

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from callplane_shared.events import PAYMENT_ID, AccountUpserted
from callplane_shared.http_errors import bad_request, conflict, not_found
from callplane_shared.openapi_docs import errors
from callplane_shared.paging import PageNumber
from number_inventory.accounts import Accounts
from number_inventory.api_models import (
    BalanceResponse,
    PaymentRequest,
    PaymentResponse,
    PaymentsResponse,
    payment_response,
)
from number_inventory.api_numbers import AccountDependency
from number_inventory.domain.money import MoneyError, to_minor, to_units
from number_inventory.payments import (
    MAX_IDEMPOTENCY_KEY,
    IdempotencyConflictError,
    PaymentNotFoundError,
    Payments,
    PaymentStatus,
)

PaymentId = Annotated[str, Path(alias="paymentId", pattern=PAYMENT_ID)]


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
    async def request_payment(
        account: Account,
        body: PaymentRequest,
        response: Response,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                max_length=MAX_IDEMPOTENCY_KEY,
                description="Repeat a request safely: the same key answers the same payment.",
            ),
        ] = None,
    ) -> PaymentResponse:
        """A top-up: a PENDING payment, credited once the payment system (or an operator)
        settles it."""
        try:
            amount = to_minor(body.amount)
        except MoneyError as exc:
            raise bad_request(str(exc), "amount") from exc
        try:
            requested = await payments.request(
                account.account_id, account.currency, amount, idempotency_key
            )
        except IdempotencyConflictError as exc:
            raise conflict(str(exc)) from exc
        if requested.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        response.status_code = status.HTTP_201_CREATED
        return payment_response(requested.payment)

    @router.get("/payments")
    async def list_payments(
        account: Account,
        status_filter: Annotated[PaymentStatus | None, Query(alias="status")] = None,
        page: PageNumber = 0,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> PaymentsResponse:
        docs, count = await payments.page(account.account_id, status_filter, page * size, size)
        return PaymentsResponse(payments=[payment_response(d) for d in docs], payment_count=count)

    @router.get("/payments/{paymentId}", responses=errors(404))  # noqa: FAST003
    async def get_payment(account: Account, payment_id: PaymentId) -> PaymentResponse:
        try:
            return payment_response(await payments.get(payment_id, account.account_id))
        except PaymentNotFoundError as exc:
            raise not_found(f"No payment {payment_id} on your account.") from exc

    return router
