"""Write action-config's OpenAPI document: `uv run python -m action_config.openapi [path]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from action_config.main import create_app

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "openapi.json"


def render() -> str:
    # Building the app connects nothing: broker and MongoDB client are lazy.
    spec: dict[str, Any] = create_app().openapi()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    target.write_text(render())


if __name__ == "__main__":
    main()
