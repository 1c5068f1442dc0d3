"""`--help` works at every level of the command tree, and every command shows an example."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from callplane_client.cli import app, main

pytestmark = pytest.mark.unit


def command_paths() -> list[tuple[tuple[str, ...], bool]]:
    """Every (path, is_group) below the root, e.g. (("masking", "config", "create"), False)."""
    found: list[tuple[tuple[str, ...], bool]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if path:
            found.append((path, children is not None))
        for name, child in (children or {}).items():
            walk(child, (*path, name))

    walk(get_command(app), ())
    return found


PATHS = command_paths()


def test_the_tree_has_every_noun_of_the_issue() -> None:
    top = {path[0] for path, _ in PATHS}
    assert top == {
        "admin", "numbers", "balance", "top-up", "payments", "voice", "routes", "masking",
        "calls-config", "ivr", "calls", "subscriptions", "account",
    }  # fmt: skip
    leaves = {" ".join(path) for path, group in PATHS if not group}
    expected = {"admin import-numbers", "numbers lease", "voice set", "calls simulate",
                "calls show", "calls tail", "calls trace", "masking credentials set",
                "ivr delete", "account conversations-queue set"}  # fmt: skip
    assert expected <= leaves


def test_root_help_lists_the_nouns_and_the_settings() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for text in ("numbers", "calls-config", "--api-key", "CALLPLANE_API_KEY", "config.toml"):
        assert text in result.output


@pytest.mark.parametrize(("path", "group"), PATHS, ids=[" ".join(p) for p, _ in PATHS])
def test_help_at_every_level(path: tuple[str, ...], group: bool) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: callplane {' '.join(path)}" in result.output
    if not group:
        words = " ".join(result.output.replace("│", " ").split())
        assert "Example: callplane" in words


def test_main_returns_exit_codes_instead_of_exiting() -> None:
    assert main(["--help"]) == 0
    assert main(["numbers", "search", "--limit", "0"]) == 2
    assert main(["no-such-noun"]) == 2
