"""The root of `callplane`: global options, the command tree, and one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer import _click as click  # Typer 0.27 vendors Click: its exceptions live here
from typer.core import TyperGroup

from callplane_client.cli import (
    account,
    admin,
    calls,
    masking,
    numbers,
    subscriptions,
    targets,
    voice,
)
from callplane_client.cli.config import resolve
from callplane_client.cli.errors import CliError
from callplane_client.cli.output import err_console
from callplane_client.cli.runtime import runtime


class _OneLineErrors(TyperGroup):
    """Whatever a command refuses (`CliError`, e.g. the API's error text) ends as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as exc:
            err_console().print(
                f"[red]error:[/red] {exc}", soft_wrap=True, markup=True, highlight=False
            )
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    name="callplane",
    cls=_OneLineErrors,
    help="Command line for callplane: numbers, voice actions, masking, calls.",
    epilog="Settings: flags, then CALLPLANE_* variables, then ~/.config/callplane/config.toml.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def configure(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(envvar="CALLPLANE_URL", help="Public API base URL.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="CALLPLANE_API_KEY", help="Your account's API key.")
    ] = None,
    admin_token: Annotated[
        str | None, typer.Option(envvar="CALLPLANE_ADMIN_TOKEN", help="For `admin` commands.")
    ] = None,
    operator_token: Annotated[
        str | None,
        typer.Option(envvar="CALLPLANE_OPERATOR_TOKEN", help="For `calls show` and `calls trace`."),
    ] = None,
    kafka: Annotated[
        str | None,
        typer.Option(
            "--kafka",
            "--bootstrap-servers",
            envvar=["CALLPLANE_KAFKA", "KAFKA_BOOTSTRAP_SERVERS"],
            help="Kafka bootstrap servers, for `calls simulate` and `calls tail`.",
        ),
    ] = None,
    jaeger: Annotated[
        str | None, typer.Option(envvar="CALLPLANE_JAEGER", help="Jaeger UI/query base URL.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(envvar="CALLPLANE_CONFIG", help="Config file.", dir_okay=False),
    ] = None,
) -> None:
    """callplane: lease numbers, set their voice actions, simulate calls, read decisions.

    Start with: callplane numbers search --country DE
    """
    given = {
        "url": url,
        "api_key": api_key,
        "admin_token": admin_token,
        "operator_token": operator_token,
        "kafka": kafka,
        "jaeger": jaeger,
    }
    try:
        runtime(ctx).config = resolve(given, config)
    except CliError as exc:
        raise click.exceptions.UsageError(str(exc)) from None


app.add_typer(admin.app, name="admin")
app.add_typer(numbers.app, name="numbers")
app.command("balance")(numbers.balance)
app.command("top-up")(numbers.top_up)
app.command("payments")(numbers.payments)
app.add_typer(account.app, name="account")
app.add_typer(voice.app, name="voice")
app.add_typer(targets.routes, name="routes")
app.add_typer(masking.app, name="masking")
app.add_typer(targets.calls_config, name="calls-config")
app.add_typer(targets.ivr, name="ivr")
app.add_typer(calls.app, name="calls")
app.add_typer(subscriptions.app, name="subscriptions")
