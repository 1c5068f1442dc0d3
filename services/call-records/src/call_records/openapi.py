"""Print the OpenAPI document of call-records: `uv run python -m call_records.openapi`.

The committed `services/call-records/openapi.json` is this output; a unit test fails on drift.
"""

from __future__ import annotations

import json
from typing import Any

from call_records.main import create_app
from call_records.settings import Settings

# Building the app connects nothing, so a throwaway token is enough to render the schema.
_RENDER_TOKEN = "render-only-token-000000000000000000"  # noqa: S105 - not a secret: never served
_RENDER_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="  # 32 zero bytes, never used to seal


def document() -> dict[str, Any]:
    return create_app(
        Settings(records_operator_token=_RENDER_TOKEN, subscriptions_credentials_key=_RENDER_KEY)
    ).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
