"""The list / show / delete commands that routes, calls configurations, IVR scenarios and masking
configurations share; each module adds its own `create`."""

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from callplane_client.cli.errors import CliError
from callplane_client.cli.output import JsonFlag, QuietFlag, emit, note
from callplane_client.cli.runtime import api


def results(reply: Any) -> list[dict[str, Any]]:
    """Rows of a list reply: a bare array, or Infobip's `{results, paging}` page."""
    return reply if isinstance(reply, list) else reply.get("results", [])


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None


def add_read_commands(
    app: typer.Typer,
    *,
    command: str,
    path: str,
    noun: str,
    columns: Sequence[str],
    params: Callable[[int, int], dict[str, Any]] = lambda page, size: {"page": page, "size": size},
) -> None:
    """Register `list`, `show ID` and `delete ID` for the collection at `path`."""

    @app.command("list")
    def list_(
        ctx: typer.Context,
        page: Annotated[int, typer.Option(help="Page, from 0.", min=0)] = 0,
        size: Annotated[int, typer.Option(help="Page size.", min=1, max=1000)] = 20,
        as_json: JsonFlag = False,
        quiet: QuietFlag = False,
    ) -> None:
        reply = api(ctx).get(path, params=params(page, size))
        if quiet:
            emit(results(reply), as_json=False, quiet=True, key=columns[0])
        else:
            emit(reply, as_json=as_json, view=results, columns=columns, title=f"{noun}s")

    @app.command()
    def show(
        ctx: typer.Context,
        item_id: Annotated[str, typer.Argument(metavar="ID", help=f"The {noun}'s id.")],
        as_json: JsonFlag = False,
    ) -> None:
        emit(api(ctx).get(f"{path}/{item_id}"), as_json=as_json)

    @app.command()
    def delete(
        ctx: typer.Context,
        item_id: Annotated[str, typer.Argument(metavar="ID", help=f"The {noun}'s id.")],
    ) -> None:
        api(ctx).delete(f"{path}/{item_id}")
        note(f"deleted {noun} {item_id}")

    example = f"callplane {command}"
    list_.__doc__ = f"List your {noun}s.  Example: {example} list"
    show.__doc__ = f"Show one {noun}.  Example: {example} show <id>"
    delete.__doc__ = (
        f"Delete a {noun} (409 while a number uses it).  Example: {example} delete <id>"
    )
