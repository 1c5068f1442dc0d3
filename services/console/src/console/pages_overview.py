"""Overview: balance and its low state, top-up (a pending payment), payments, numbers by action,
and the account's default Conversations queue."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api_errors import ApiProblem
from console.public_api import PublicApi, Reply
from console.sessions import Principal
from console.voice_form import NO_ACTION, action_label
from console.web import BASE, Console, field

PAGE = 1000  # numbers read per request (the API's largest page) when counting them by action
MAX_COUNTED = 10_000  # an account's numbers counted by action at most (10 pages)
QUEUE = "/account/1/conversations-queue"


@dataclass(frozen=True)
class Owned:
    """The account's numbers as far as the API answered, and its error if a page failed."""

    numbers: list[dict[str, Any]]
    problem: ApiProblem | None = None


async def owned_numbers(api: PublicApi, principal: Principal, limit: int) -> Owned:
    """Up to `limit` of the account's numbers. The first page says how many there are
    (`numberCount`), so the other pages are asked for together and none is asked for in vain."""

    async def page(number: int) -> Reply:
        params = {"limit": PAGE, "page": number}
        return await api.call(principal, "GET", "/numbers/1/numbers", params=params)

    first = await page(0)
    if not first.ok:
        return Owned([], first.problem)
    numbers: list[dict[str, Any]] = first.json().get("numbers") or []
    total = first.json().get("numberCount")
    wanted = min(total if isinstance(total, int) else len(numbers), limit)
    rest = await asyncio.gather(*(page(n) for n in range(1, math.ceil(wanted / PAGE))))
    for reply in rest:
        if not reply.ok:
            return Owned(numbers[:limit], reply.problem)
        numbers += reply.json().get("numbers") or []
    return Owned(numbers[:limit])


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
        balance, payments, queue, owned = await asyncio.gather(
            api.call(principal, "GET", "/account/1/balance"),
            api.call(principal, "GET", "/account/1/payments", params={"size": 20}),
            api.call(principal, "GET", QUEUE),
            owned_numbers(api, principal, limit=MAX_COUNTED),
        )
        # A part the API could not give shows its error text, never a zero balance or an
        # empty list that would look like an answer.
        amount = balance.json().get("balance") if balance.ok else None
        low = isinstance(amount, int | float) and amount < console.settings.low_balance_threshold
        return console.render(
            request,
            session,
            "overview.html",
            status=status,
            balance=balance.json() if balance.ok else {},
            balance_problem=None if balance.ok else balance.problem,
            low=low,
            threshold=console.settings.low_balance_threshold,
            payments=payments.json().get("payments") or [] if payments.ok else [],
            payments_problem=None if payments.ok else payments.problem,
            counts=counts_by_action(owned.numbers),
            total_numbers=len(owned.numbers),
            numbers_problem=owned.problem,
            queue=queue.json() if queue.ok else {},
            queue_problem=None if queue.ok else queue.problem,
            **(
                {
                    "queue_error": None,
                    "queue_value": (queue.json().get("queueId") if queue.ok else None) or "",
                }
                | extra
            ),
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
