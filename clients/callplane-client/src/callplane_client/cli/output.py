"""How results are printed: a table for people, the API's JSON for scripts, or just ids.

JSON is chosen by `--json`, by `CALLPLANE_OUTPUT=json`, or when stdout is not a terminal (so a
pipe gets something parseable); `CALLPLANE_OUTPUT=table` forces tables into a pipe.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]
QuietFlag = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the id(s), one per line.")
]


def want_json(flag: bool) -> bool:
    if flag:
        return True
    chosen = os.environ.get("CALLPLANE_OUTPUT", "").lower()
    if chosen in {"json", "table"}:
        return chosen == "json"
    return not sys.stdout.isatty()


def console() -> Console:
    terminal = sys.stdout.isatty()
    return Console(soft_wrap=not terminal, width=None if terminal else 160, highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def emit(
    data: Any,
    *,
    as_json: bool,
    view: Callable[[Any], Any] | None = None,
    columns: Sequence[str] = (),
    quiet: bool = False,
    key: str | None = None,
    title: str | None = None,
) -> None:
    """Print a record (dict) or rows (list of dicts): JSON as the API sent it, or a table of
    `view(data)` (default: `data`) with `columns` picked and ordered; `quiet` prints `key` only."""
    if quiet and key:
        for row in data if isinstance(data, list) else [data]:
            typer.echo(cell(row.get(key)))
        return
    if want_json(as_json):
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    data = view(data) if view else data
    rows = data if isinstance(data, list) else None
    out = console()
    if rows is None:
        table = Table(title=title, show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        shown = columns or list(data)
        for name in shown:
            table.add_row(name, cell(data.get(name)))
        out.print(table)
        return
    if not rows:
        out.print(f"(no {title or 'results'})")
        return
    names = list(columns) or list(rows[0])
    table = Table(title=title)
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*(cell(row.get(name)) for name in names))
    out.print(table)


def note(message: str) -> None:
    """A remark for people (progress, hints) on stderr, so stdout stays parseable."""
    err_console().print(message)
