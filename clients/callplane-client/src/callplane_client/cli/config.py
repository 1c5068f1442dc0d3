"""Where the CLI finds the system: flags, then `CALLPLANE_*` variables, then a TOML file.

# ~/.config/callplane/config.toml (or the file named by CALLPLANE_CONFIG / --config)
url = "http://127.0.0.1:8080"
api_key = "..."
admin_token = "..."
operator_token = "..."
kafka = "127.0.0.1:9092"
jaeger = "http://127.0.0.1:16686"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from callplane_client.cli.errors import CliError

DEFAULTS = {
    "url": "http://127.0.0.1:8080",
    "kafka": "127.0.0.1:9092",
    "jaeger": "http://127.0.0.1:16686",
}


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "callplane" / "config.toml"


@dataclass(frozen=True)
class Config:
    url: str = DEFAULTS["url"]
    api_key: str | None = None
    admin_token: str | None = None
    operator_token: str | None = None
    kafka: str = DEFAULTS["kafka"]
    jaeger: str = DEFAULTS["jaeger"]


def read_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise CliError(
            f"{path}: unknown keys {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return {key: str(value) for key, value in data.items()}


def resolve(given: dict[str, str | None], path: Path | None) -> Config:
    """`given` holds flags and environment (Typer merges them); the file fills what is missing."""
    from_file = read_file(path or default_path())
    values = {
        name: given.get(name) or from_file.get(name) or DEFAULTS.get(name)
        for name in (f.name for f in fields(Config))
    }
    return Config(**{k: v for k, v in values.items() if v is not None})
