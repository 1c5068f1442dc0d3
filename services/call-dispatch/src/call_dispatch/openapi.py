"""Print call-dispatch's OpenAPI document: health and metrics only (the operator's call lookup
moved to call-records). `make openapi` writes it to services/call-dispatch/openapi.json.

Building the app connects nothing.
"""

from __future__ import annotations

import json
from typing import Any

from call_dispatch.main import create_app
from call_dispatch.settings import Settings


def document() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
