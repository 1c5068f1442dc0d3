"""Operator endpoints for payments: see what is pending, settle, fail or refund one.

The operator way of confirming a top-up (the payment system does the same with `PaymentSettled`
/ `PaymentFailed` on `payments`). Mounted by `admin_router`, so behind its Admin token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Path, Query

from callplane_shared.events import PAYMENT_ID
from callplane_shared.http_errors import conflict, not_found
from callplane_shared.paging import PageNumber
from number_inventory.api_models import (
    FailPaymentRequest,
    PaymentResponse,
    PaymentsResponse,
    SettlePaymentRequest,
    payment_response,
)
from number_inventory.payments import (
    PaymentNotFoundError,
    Payments,
    PaymentStateError,
    PaymentStatus,
)

PaymentId = Annotated[str, Path(alias="paymentId", pattern=PAYMENT_ID)]


@contextmanager
def _refusals(payment_id: str) -> Iterator[None]:
    try:
        yield
    except PaymentNotFoundError as exc:
        raise not_found(f"No payment {payment_id}.") from exc
    except PaymentStateError as exc:
        raise conflict(str(exc)) from exc


def admin_payments_router(payments: Payments) -> APIRouter:
    router = APIRouter(prefix="/payments")

    @router.get("", response_model=PaymentsResponse)
    async def list_all_payments(
        status: Annotated[PaymentStatus | None, Query()] = None,
        account_id: Annotated[str | None, Query(alias="accountId", max_length=64)] = None,
        page: PageNumber = 0,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> PaymentsResponse:
        docs, count = await payments.page(account_id, status, page * size, size)
        return PaymentsResponse(payments=[payment_response(d) for d in docs], payment_count=count)

    @router.post("/{paymentId}/settle", response_model=PaymentResponse)  # noqa: FAST003
    async def settle_payment(payment_id: PaymentId, body: SettlePaymentRequest) -> PaymentResponse:
        """Credit the payment's amount, once (repeating answers the same)."""
        with _refusals(payment_id):
            doc = await payments.settle(payment_id, provider_reference=body.provider_reference)
        return payment_response(doc)

    @router.post("/{paymentId}/fail", response_model=PaymentResponse)  # noqa: FAST003
    async def fail_payment(payment_id: PaymentId, body: FailPaymentRequest) -> PaymentResponse:
        with _refusals(payment_id):
            doc = await payments.fail(payment_id, body.reason)
        return payment_response(doc)

    @router.post("/{paymentId}/refund", response_model=PaymentResponse)  # noqa: FAST003
    async def refund_payment(payment_id: PaymentId, body: FailPaymentRequest) -> PaymentResponse:
        """Debit a settled payment back, once; refused (409) when the balance no longer covers
        it."""
        with _refusals(payment_id):
            doc = await payments.refund(payment_id, body.reason)
        return payment_response(doc)

    return router
