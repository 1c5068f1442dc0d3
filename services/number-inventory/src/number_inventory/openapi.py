"""Print the service's OpenAPI document: `uv run python -m number_inventory.openapi > openapi.json`.

Building the app connects to nothing, so this runs without Kafka or MongoDB.
"""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import SecretStr

from number_inventory.settings import Settings


def openapi_document() -> dict[str, Any]:
    from number_inventory.main import create_app

    # A placeholder token: the document does not depend on its value.
    settings = Settings(
        admin_token=SecretStr("openapi-generation-only-placeholder-token"),
        notifications_credentials_key=SecretStr("A" * 43 + "="),  # 32 zero bytes, never used
    )
    return create_app(settings).openapi()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    # No spans to export from a one-shot generator.
    os.environ.setdefault("OTEL_SDK_DISABLED", "true")
    print(render(), end="")  # noqa: T201
