"""Overview: balance and its low state, top-up (a pending payment), payments, numbers by action."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.public_api import PublicApi, Reply
from console.sessions import Principal
from console.voice_form import NO_ACTION, action_label
from console.web import BASE, Console, field

PAGE = 1000  # numbers read per request (the API's largest page) when counting them by action


async def owned_numbers(api: PublicApi, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` of the account's numbers, page after page."""
    numbers: list[dict[str, Any]] = []
    page = 0
    while len(numbers) < limit:
        reply = await api.call(
            principal, "GET", "/numbers/1/numbers", params={"limit": PAGE, "page": page}
        )
        batch = reply.json().get("numbers") or []
        numbers += batch
        if len(batch) < PAGE:
            break
        page += 1
    return numbers[:limit]


def counts_by_action(numbers: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counted = Counter(
        action_label(((n.get("voiceSetup") or {}).get("action") or {}).get("type") or NO_ACTION)
        for n in numbers
    )
    return sorted(counted.items())


def overview_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    async def page(request: Request, status: int = 200, **extra: Any) -> Response:
        session, principal = console.principal(request)
        api = console.api
        balance = await api.call(principal, "GET", "/account/1/balance")
        payments = await api.call(principal, "GET", "/account/1/payments", params={"size": 20})
        numbers = await owned_numbers(api, principal, limit=10_000)
        amount = balance.json().get("balance")
        low = isinstance(amount, int | float) and amount < console.settings.low_balance_threshold
        return console.render(
            request,
            session,
            "overview.html",
            status=status,
            balance=balance.json(),
            low=low,
            threshold=console.settings.low_balance_threshold,
            payments=payments.json().get("payments") or [],
            counts=counts_by_action(numbers),
            total_numbers=len(numbers),
            **extra,
        )

    @router.get("/overview")
    async def overview(request: Request) -> Response:
        return await page(request, error=None, amount="")

    @router.post("/payments")
    async def top_up(request: Request) -> Response:
        session, principal = console.principal(request)
        form = await console.form(request, session)
        amount = field(form, "amount", 32)
        try:
            Decimal(amount)
        except InvalidOperation:
            return await page(
                request, 400, error="Enter an amount such as 20 or 12.50.", amount=amount
            )
        reply: Reply = await console.api.call(
            principal, "POST", "/account/1/payments", json={"amount": amount}
        )
        if not reply.ok:
            return await page(request, reply.status, error=reply.problem.text, amount=amount)
        payment = reply.json()
        return console.redirect(
            session,
            "/overview",
            flash=f"Top-up of {payment.get('amount')} {payment.get('currency')} requested: "
            f"payment {payment.get('paymentId')} is {payment.get('status')} until it settles.",
        )

    return router
