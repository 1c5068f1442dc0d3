"""Write action-config's OpenAPI document: `uv run python -m action_config.openapi [path]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from action_config.main import create_app
from action_config.settings import Settings

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "openapi.json"


def document() -> dict[str, Any]:
    # Building the app connects nothing: broker and MongoDB client are lazy. The sealing key is
    # a placeholder (32 zero bytes): the document does not depend on it.
    settings = Settings(ivr_credentials_key=SecretStr("A" * 43 + "="))
    spec: dict[str, Any] = create_app(settings).openapi()
    return spec


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    target.write_text(render())


if __name__ == "__main__":
    main()
