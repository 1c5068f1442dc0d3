"""`callplane masking`: number-masking configurations and the account's signing credentials."""

from __future__ import annotations

from typing import Annotated

import typer

from callplane_client.cli.output import JsonFlag, QuietFlag, emit, note
from callplane_client.cli.resources import add_read_commands
from callplane_client.cli.runtime import api

app = typer.Typer(help="Number masking: configurations (callback URLs) and signing credentials.")
config = typer.Typer(help="Masking configurations: list, create, show, delete.")
credentials = typer.Typer(help="The signing secret of callbacks: set, show, delete.")
app.add_typer(config, name="config")
app.add_typer(credentials, name="credentials")

CONFIGS, CREDENTIALS = "/voice/masking/2/config", "/voice/masking/2/credentials"
add_read_commands(
    config,
    command="masking config",
    path=CONFIGS,
    noun="masking configuration",
    columns=("key", "name", "callbackUrl", "statusUrl"),
    params=lambda _p, _s: {},
)


@config.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Unique in the account: letters, digits, spaces.")],
    callback_url: Annotated[str, typer.Option(help="Where we ask what to do with a call.")],
    backup_callback_url: Annotated[str | None, typer.Option(help="Tried second.")] = None,
    status_url: Annotated[str | None, typer.Option(help="Where call reports go.")] = None,
    description: Annotated[str | None, typer.Option(help="Free text.")] = None,
    total_timeout_ms: Annotated[
        int | None, typer.Option(help="Budget of a callback, 200-10000 ms.", min=200, max=10000)
    ] = None,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Create a masking configuration.

    Example: callplane masking config create --name rides --callback-url https://hooks.example.com/cb
    """
    body = {
        "name": name,
        "callbackUrl": callback_url,
        "backupCallbackUrl": backup_callback_url,
        "statusUrl": status_url,
        "description": description,
        "totalTimeoutMs": total_timeout_ms,
    }
    made = api(ctx).post(CONFIGS, json={k: v for k, v in body.items() if v is not None})
    emit(
        made,
        as_json=as_json,
        quiet=quiet,
        key="key",
        columns=("key", "name", "callbackUrl", "statusUrl", "insertDateTime"),
    )


@credentials.command("set")
def set_credentials(
    ctx: typer.Context,
    api_id: Annotated[str, typer.Option(help="Your id, sent in Infobip's Authorization header.")],
    key: Annotated[
        str, typer.Option(help="The secret both signatures use.", envvar="CALLPLANE_MASKING_KEY")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Create or replace the credentials.

    Example: callplane masking credentials set --api-id my-app --key my-secret-key-1
    """
    emit(api(ctx).put(CREDENTIALS, json={"apiId": api_id, "key": key}), as_json=as_json)


@credentials.command("show")
def show_credentials(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The apiId (never the key).  Example: callplane masking credentials show"""
    emit(api(ctx).get(CREDENTIALS), as_json=as_json)


@credentials.command("delete")
def delete_credentials(ctx: typer.Context) -> None:
    """Remove them (callbacks go unsigned).  Example: callplane masking credentials delete"""
    api(ctx).delete(CREDENTIALS)
    note("credentials deleted")
