"""`callplane admin`: the operator's side (needs the admin token): accounts, keys, the pool."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from callplane_client.cli.client import Api, ApiError
from callplane_client.cli.errors import CliError
from callplane_client.cli.numbers import PAYMENT_COLUMNS
from callplane_client.cli.output import JsonFlag, QuietFlag, emit, err_console, note
from callplane_client.cli.runtime import Runtime, api, runtime

app = typer.Typer(help="Operator commands (admin token): accounts, API keys, number pool.")

_ACCOUNT_COLUMNS = (
    "accountId",
    "name",
    "currency",
    "balance",
    "status",
    "apiKeyIds",
    "conversationsQueueId",
)
_LINE = re.compile(r"^line (\d+):")
UNAUTHORIZED = 401


@app.command("create-account")
def create_account(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Account name.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 currency of prices and balance.")] = "EUR",
    balance: Annotated[float, typer.Option(help="Starting balance.", min=0)] = 0.0,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Create an account.  Example: callplane admin create-account --name demo --balance 50"""
    body = {"name": name, "currency": currency, "balance": balance}
    account = api(ctx).post("/admin/1/accounts", auth="Admin", json=body)
    emit(account, as_json=as_json, columns=_ACCOUNT_COLUMNS, quiet=quiet, key="accountId")


@app.command("show-account")
def show_account(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The accountId.")],
    as_json: JsonFlag = False,
) -> None:
    """Show an account and its balance.  Example: callplane admin show-account <accountId>"""
    account = api(ctx).get(f"/admin/1/accounts/{account_id}", auth="Admin")
    emit(account, as_json=as_json, columns=_ACCOUNT_COLUMNS)


@app.command("issue-key")
def issue_key(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The accountId.")],
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the services to accept it (0: don't).", min=0)
    ] = 10.0,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Issue an API key (shown once) and wait until every service accepts it.

    Example: callplane admin issue-key <accountId> -q
    """
    key = api(ctx).post(f"/admin/1/accounts/{account_id}/api-keys", auth="Admin")
    if wait > 0:
        _await_key(runtime(ctx), key["apiKey"], wait)
    emit(key, as_json=as_json, columns=("accountId", "keyId", "apiKey"), quiet=quiet, key="apiKey")


@app.command("revoke-key")
def revoke_key(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The accountId.")],
    key_id: Annotated[str, typer.Argument(help="The keyId (not the key).")],
) -> None:
    """Revoke an API key.  Example: callplane admin revoke-key <accountId> <keyId>"""
    api(ctx).delete(f"/admin/1/accounts/{account_id}/api-keys/{key_id}", auth="Admin")
    note(f"revoked key {key_id}")


@app.command("payments")
def list_payments(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="PENDING, SETTLED, FAILED, REFUNDED.")] = None,
    account_id: Annotated[str | None, typer.Option(help="Only this account's.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Payments of every account, newest first.

    Example: callplane admin payments --status PENDING
    """
    params = {k: v for k, v in {"status": status, "accountId": account_id}.items() if v}
    found = api(ctx).get("/admin/1/payments", auth="Admin", params=params)
    emit(found["payments"], as_json=as_json, columns=PAYMENT_COLUMNS, title="payments")


@app.command("settle-payment")
def settle_payment(
    ctx: typer.Context,
    payment_id: Annotated[str, typer.Argument(help="The paymentId top-up answered.")],
    reference: Annotated[str | None, typer.Option(help="Your payment system's id.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Confirm a pending payment: its amount is credited, once.

    Example: callplane admin settle-payment <paymentId> --reference bank-transfer-4711
    """
    body = {"providerReference": reference} if reference else {}
    paid = api(ctx).post(f"/admin/1/payments/{payment_id}/settle", auth="Admin", json=body)
    emit(paid, as_json=as_json, columns=PAYMENT_COLUMNS)


@app.command("fail-payment")
def fail_payment(
    ctx: typer.Context,
    payment_id: Annotated[str, typer.Argument(help="The paymentId.")],
    reason: Annotated[str, typer.Option(help="Why it failed.")],
    as_json: JsonFlag = False,
) -> None:
    """Mark a pending payment failed (nothing is credited).

    Example: callplane admin fail-payment <paymentId> --reason "card declined"
    """
    body = {"reason": reason}
    failed = api(ctx).post(f"/admin/1/payments/{payment_id}/fail", auth="Admin", json=body)
    emit(failed, as_json=as_json, columns=PAYMENT_COLUMNS)


@app.command("refund-payment")
def refund_payment(
    ctx: typer.Context,
    payment_id: Annotated[str, typer.Argument(help="The paymentId of a settled payment.")],
    reason: Annotated[str, typer.Option(help="Why it is refunded.")],
    as_json: JsonFlag = False,
) -> None:
    """Debit a settled payment back, once.

    Example: callplane admin refund-payment <paymentId> --reason "customer asked"
    """
    body = {"reason": reason}
    refunded = api(ctx).post(f"/admin/1/payments/{payment_id}/refund", auth="Admin", json=body)
    emit(refunded, as_json=as_json, columns=PAYMENT_COLUMNS)


# One cheap authenticated read per service: each learns keys from Kafka on its own.
_KEY_PROBES = ("/account/1/balance", "/calls/1/configurations", "/voice/masking/2/config")


def _await_key(state: Runtime, api_key: str, wait: float) -> None:
    client = Api(state.config.url, {"App": api_key}, transport=state.transport)
    deadline = time.monotonic() + wait
    pending = list(_KEY_PROBES)
    while pending:
        try:
            client.get(pending[0])
            pending.pop(0)
        except ApiError as exc:
            if exc.status != UNAUTHORIZED:
                raise
            if time.monotonic() >= deadline:
                note(
                    f"[yellow]{pending[0]} does not accept the key yet; retry in a moment[/yellow]"
                )
                return
            time.sleep(0.1)


def _chunks(path: Path, size: int) -> tuple[str, list[list[str]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if not lines:
        raise CliError(f"{path} is empty (expected a header line)")
    rows = [line for line in lines[1:] if line.strip()]
    return lines[0], [rows[i : i + size] for i in range(0, len(rows), size)]


def _renumber(error: str, offset: int) -> str:
    return _LINE.sub(lambda m: f"line {int(m.group(1)) + offset}:", error)


@app.command("import-numbers")
def import_numbers(
    ctx: typer.Context,
    csv_file: Annotated[Path, typer.Argument(help="CSV with a header line.", dir_okay=False)],
    batch_size: Annotated[int, typer.Option(help="Rows per request.", min=1)] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Import numbers into the pool; re-importing changes nothing.

    Example: callplane admin import-numbers deploy/seed/numbers.csv
    """
    from rich.progress import Progress

    header, batches = _chunks(csv_file, batch_size)
    client = api(ctx)
    total: dict[str, list[Any]] = {"imported": [], "existing": [], "errors": []}
    with Progress(console=err_console(), transient=True) as progress:
        task = progress.add_task("importing", total=sum(len(b) for b in batches))
        offset = 0
        for batch in batches:
            body = "\n".join([header, *batch]).encode()
            reply = client.post(
                "/admin/1/numbers/import",
                auth="Admin",
                content=body,
                headers={"Content-Type": "text/csv"},
            )
            total["imported"] += reply.get("imported", [])
            total["existing"] += reply.get("existing", [])
            total["errors"] += [_renumber(e, offset) for e in reply.get("errors", [])]
            offset += len(batch)
            progress.advance(task, len(batch))
    summary = {k: len(v) for k, v in total.items()}
    emit(total if as_json else summary, as_json=as_json, title="import")
    for error in total["errors"]:
        note(f"[yellow]{error}[/yellow]")
