"""The `callplane` command: a thin client over the public HTTP API and Kafka (Typer).

    callplane --help
    callplane numbers search --country DE
    callplane calls simulate --from +41791234567 --to +4930123463

One module per noun (`admin`, `numbers`, `voice`, `targets`, `masking`, `calls`); HTTP goes
through `client.Api`; printing through `output.emit`.
"""

from __future__ import annotations

import sys

from typer import _click as click  # Typer 0.27 vendors Click

from callplane_client.cli.app import app

__all__ = ["app", "main", "run"]


def main(argv: list[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's) and return its exit code."""
    try:
        code = app(args=argv, prog_name="callplane", standalone_mode=False)
    except click.exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 130
    return code if isinstance(code, int) else 0


def run() -> None:
    """The console script."""
    sys.exit(main())
