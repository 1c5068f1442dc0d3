"""`callplane subscriptions`: which webhook hears call events (CALL_RECEIVED, CALL_ESTABLISHED,
CALL_FINISHED...) of calls forwarded to your calls configurations."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from callplane_client.cli.errors import CliError
from callplane_client.cli.output import JsonFlag, QuietFlag, emit
from callplane_client.cli.resources import add_read_commands
from callplane_client.cli.runtime import api

app = typer.Typer(help="Calls API subscriptions (VOICE_VIDEO): call events to your webhook.")
SUBSCRIPTIONS = "/subscriptions/1/subscription/VOICE_VIDEO"
EVENTS = ("CALL_RECEIVED", "CALL_ESTABLISHED", "CALL_FINISHED", "CALL_FAILED")
add_read_commands(
    app,
    command="subscriptions",
    path=SUBSCRIPTIONS,
    noun="subscription",
    columns=("subscriptionId", "name", "events"),
)


def _security(
    auth_id: str | None, hmac_secret: str | None, basic: tuple[str | None, str | None]
) -> dict[str, Any] | None:
    user, password = basic
    if auth_id is None:
        if hmac_secret or user or password:
            raise CliError(
                "--auth-id is needed with --hmac-secret or --basic-user/--basic-password"
            )
        return None
    if hmac_secret:
        credentials = {"secretKey": hmac_secret, "algorithm": "HMAC_SHA_256"}
        return {"authId": auth_id, "type": "HMAC", "credentials": credentials}
    if user and password:
        credentials = {"username": user, "password": password}
        return {"authId": auth_id, "type": "BASIC", "credentials": credentials}
    raise CliError("give --hmac-secret, or --basic-user and --basic-password, with --auth-id")


@app.command("create")
def create(
    ctx: typer.Context,
    subscription_id: Annotated[str, typer.Option("--id", help="Your id: URL-safe, immutable.")],
    notify_url: Annotated[str, typer.Option(help="Where call events are POSTed.")],
    event: Annotated[
        list[str] | None, typer.Option(help=f"Repeat; default: {', '.join(EVENTS)}.")
    ] = None,
    calls_config: Annotated[
        list[str] | None,
        typer.Option(help="Only calls to these calls configurations (repeat); default: all."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Free text.")] = None,
    auth_id: Annotated[str | None, typer.Option(help="Id of the security settings.")] = None,
    hmac_secret: Annotated[
        str | None,
        typer.Option(help="Signs every event (16+ chars).", envvar="CALLPLANE_SUBSCRIPTION_SECRET"),
    ] = None,
    basic_user: Annotated[str | None, typer.Option(help="HTTP Basic user.")] = None,
    basic_password: Annotated[
        str | None, typer.Option(help="HTTP Basic password.", envvar="CALLPLANE_BASIC_PASSWORD")
    ] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Create a subscription.

    Example: callplane subscriptions create --id support-events --notify-url
    https://hooks.example.com/calls --calls-config support --auth-id hooks --hmac-secret <secret>
    """
    profile: dict[str, Any] = {"webhook": {"notifyUrl": notify_url}}
    security = _security(auth_id, hmac_secret, (basic_user, basic_password))
    if security is not None:
        profile["security"] = security
    body = {
        "subscriptionId": subscription_id,
        "name": name,
        "events": list(event or EVENTS),
        "criteria": [{"callsConfigurationId": c} for c in calls_config or []],
        "profile": profile,
    }
    made = api(ctx).post(SUBSCRIPTIONS, json={k: v for k, v in body.items() if v is not None})
    emit(made, as_json=as_json, quiet=quiet, key="subscriptionId")
