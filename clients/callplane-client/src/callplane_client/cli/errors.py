"""The one exception type commands raise: printed as a single line, exit code 1."""

from __future__ import annotations


class CliError(Exception):
    exit_code = 1
