"""Print the OpenAPI document of number-masking: `uv run python -m number_masking.openapi`.

The committed `services/number-masking/openapi.json` is this output; a unit test fails on drift.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from number_masking.main import create_app
from number_masking.settings import Settings

# Building the app connects nothing, so a throwaway key is enough to render the schema.
_RENDER_KEY = base64.b64encode(bytes(32)).decode()


def document() -> dict[str, Any]:
    app = create_app(Settings(masking_credentials_key=_RENDER_KEY))
    return app.openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
