"""Print call-dispatch's OpenAPI document (the operator API):
`uv run python -m call_dispatch.openapi > services/call-dispatch/openapi.json`.

Building the app connects nothing; a placeholder token is enough to render the schema.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr

from call_dispatch.main import create_app
from call_dispatch.settings import Settings


def document() -> dict[str, Any]:
    settings = Settings(dispatch_operator_token=SecretStr("openapi-generation-only"))
    return create_app(settings).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
