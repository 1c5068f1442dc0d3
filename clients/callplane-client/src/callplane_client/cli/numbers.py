"""`callplane numbers`, `balance` and `top-up`: the customer's numbers and money."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import typer

from callplane_client.cli.output import JsonFlag, QuietFlag, emit, note
from callplane_client.cli.runtime import api

app = typer.Typer(help="Search the pool, lease, list, show and release numbers.")

_COLUMNS = ("numberKey", "number", "country", "type", "capabilities", "price", "voiceSetup")
NUMBER_KEY = re.compile(r"[0-9A-F]{32}")
Limit = Annotated[int, typer.Option(help="At most this many (1..1000).", min=1, max=1000)]
Page = Annotated[int, typer.Option(help="Page, from 0.", min=0, max=100_000)]
PAYMENT_COLUMNS = ("paymentId", "accountId", "amount", "currency", "status", "reason")


def _flat(number: dict[str, Any]) -> dict[str, Any]:
    price = number.get("price") or {}
    setup = number.get("voiceSetup") or {}
    action = setup.get("action") or {}
    return {
        **number,
        "capabilities": "|".join(number.get("capabilities", [])),
        "price": f"{price.get('pricePerMonth', '?')} {price.get('currency', '')}/month".strip(),
        "voiceSetup": action.get("type", "-"),
    }


def _rows(numbers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_flat(n) for n in numbers]


@app.command()
def search(
    ctx: typer.Context,
    country: Annotated[str | None, typer.Option(help="ISO country, e.g. DE.")] = None,
    capability: Annotated[
        list[str] | None, typer.Option(help="VOICE, SMS, MMS (repeatable; all must match).")
    ] = None,
    number: Annotated[str | None, typer.Option(help="Digits the number contains.")] = None,
    limit: Limit = 10,
    page: Page = 0,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Free numbers you can lease.  Example: callplane numbers search --country DE --limit 5"""
    params: dict[str, Any] = {"country": country, "number": number, "limit": limit, "page": page}
    params["capabilities"] = capability or ["VOICE"]
    reply = api(ctx).get("/numbers/1/numbers/available", params=_present(params))
    numbers = reply.get("numbers", [])
    emit(
        numbers,
        as_json=as_json,
        view=_rows,
        columns=_COLUMNS[:-1],
        quiet=quiet,
        key="numberKey",
        title="available numbers",
    )


@app.command()
def lease(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey (or the number itself).")],
    application_id: Annotated[str | None, typer.Option(help="Attach to an application.")] = None,
    entity_id: Annotated[str | None, typer.Option(help="Attach to an entity.")] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Lease a number (debits setupPrice + initialMonthPrice).

    Example: callplane numbers lease "$(callplane numbers search --country DE --limit 1 -q)"
    """
    field = "numberKey" if NUMBER_KEY.fullmatch(number_key) else "number"
    body = _present({field: number_key, "applicationId": application_id, "entityId": entity_id})
    leased = api(ctx).post("/numbers/1/numbers", json=body)
    emit(leased, as_json=as_json, view=_flat, columns=_COLUMNS, quiet=quiet, key="numberKey")


@app.command("list")
def list_(
    ctx: typer.Context,
    number: Annotated[str | None, typer.Option(help="Digits the number contains.")] = None,
    limit: Limit = 50,
    page: Page = 0,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Numbers your account leases.  Example: callplane numbers list"""
    params = _present({"number": number, "limit": limit, "page": page})
    numbers = api(ctx).get("/numbers/1/numbers", params=params).get("numbers", [])
    emit(
        numbers,
        as_json=as_json,
        view=_rows,
        columns=_COLUMNS,
        quiet=quiet,
        key="numberKey",
        title="your numbers",
    )


@app.command()
def show(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey.")],
    as_json: JsonFlag = False,
) -> None:
    """One of your numbers with its voice setup.  Example: callplane numbers show <numberKey>"""
    found = api(ctx).get(f"/numbers/1/numbers/{number_key}")
    emit(found, as_json=as_json, view=_flat, columns=_COLUMNS)


@app.command("caller-id")
def caller_id(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey.")],
    as_json: JsonFlag = False,
) -> None:
    """Whether Conversations agents may call out with this number as caller ID (refused unless
    its action is conversations).  Example: callplane numbers caller-id <numberKey>"""
    found = api(ctx).get(f"/numbers/1/numbers/{number_key}/conversations-caller-id")
    emit(found, as_json=as_json, columns=("numberKey", "number", "queueId"))


@app.command()
def release(
    ctx: typer.Context,
    number_key: Annotated[str, typer.Argument(help="numberKey.")],
) -> None:
    """Give a number back to the pool (no refund).

    Example: callplane numbers release <numberKey>
    """
    api(ctx).delete(f"/numbers/1/numbers/{number_key}")
    note(f"released {number_key}")


def balance(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Your account's balance.  Example: callplane balance"""
    emit(api(ctx).get("/account/1/balance"), as_json=as_json, columns=("balance", "currency"))


def top_up(
    ctx: typer.Context,
    amount: Annotated[float, typer.Argument(help="Amount in the account's currency.", min=0.01)],
    idempotency_key: Annotated[
        str | None, typer.Option(help="Repeat-safe key; a new one by default.")
    ] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Request a top-up: a PENDING payment, credited once the payment system (or an operator:
    `callplane admin settle-payment`) settles it.  Example: callplane top-up 20 -q"""
    headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
    paid = api(ctx).post("/account/1/payments", json={"amount": amount}, headers=headers)
    emit(paid, as_json=as_json, columns=PAYMENT_COLUMNS, quiet=quiet, key="paymentId")


def payments(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="PENDING, SETTLED, FAILED or REFUNDED.")
    ] = None,
    page: Page = 0,
    as_json: JsonFlag = False,
) -> None:
    """Your payments, newest first.  Example: callplane payments --status PENDING"""
    params = _present({"status": status, "page": page})
    found = api(ctx).get("/account/1/payments", params=params)
    emit(found["payments"], as_json=as_json, columns=PAYMENT_COLUMNS, title="payments")


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
