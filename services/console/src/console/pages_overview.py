"""Overview: balance and its low state, top-up (a pending payment), payments, numbers by action,
and the account's default Conversations queue."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.public_api import PublicApi, Reply
from console.sessions import Principal
from console.voice_form import NO_ACTION, action_label
from console.web import BASE, Console, field

PAGE = 1000  # numbers read per request (the API's largest page) when counting them by action
QUEUE = "/account/1/conversations-queue"


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
        queue = await api.call(principal, "GET", QUEUE)
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
            queue=queue.json(),
            **({"queue_error": None, "queue_value": queue.json().get("queueId") or ""} | extra),
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

    @router.post("/conversations-queue")
    async def set_conversations_queue(request: Request) -> Response:
        session, principal = console.principal(request)
        form = await console.form(request, session)
        queue_id = field(form, "queueId", 200)  # over the API's 128: it names the limit
        if queue_id:
            reply = await console.api.call(principal, "PUT", QUEUE, json={"queueId": queue_id})
            refused = not reply.ok
        else:
            reply = await console.api.call(principal, "DELETE", QUEUE)
            # 404: none was set, which is what was asked for
            refused = not reply.ok and reply.status != HTTPStatus.NOT_FOUND
        if refused:
            return await page(
                request,
                reply.status,
                error=None,
                amount="",
                queue_error=reply.problem.text,
                queue_value=queue_id,
            )
        where = queue_id or "the platform's default queue"
        return console.redirect(
            session, "/overview", flash=f"Conversations numbers without their own queue: {where}."
        )

    return router
