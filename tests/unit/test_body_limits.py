"""Every route's body limit in deploy/routes.yaml is the one its service enforces itself, and the
app refuses a larger body with 413 in Infobip's envelope, declared or streamed (invariant 10)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from callplane_shared.body_limit import BodyLimitMiddleware, parse_size
from callplane_shared.settings import ServiceSettings
from number_inventory.api_admin import IMPORT_PATH, MAX_CSV_BYTES
from number_masking.api_upload import MAX_UPLOAD_BODY, UPLOAD_PREFIX
from tests.support import REPO_ROOT

pytestmark = pytest.mark.unit

# Routes whose service declares a larger limit than MAX_BODY_BYTES (ServiceParts.body_limits).
APP_LIMITS = {IMPORT_PATH: MAX_CSV_BYTES, UPLOAD_PREFIX: MAX_UPLOAD_BODY}


def test_routes_yaml_limits_are_the_apps_limits() -> None:
    table = yaml.safe_load((REPO_ROOT / "deploy/routes.yaml").read_text())
    default = ServiceSettings.model_fields["max_body_bytes"].default
    for route in table["routes"]:
        expected = APP_LIMITS.get(route["prefix"], default)
        assert parse_size(route["maxBody"]) == expected, route["prefix"]


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/{path:path}")
    async def echo(path: str, request: Request) -> dict[str, Any]:
        return {"size": len(await request.body())}

    app.add_middleware(BodyLimitMiddleware, default=1024, per_prefix={"/big/": 4096})
    return app


def test_a_declared_body_over_the_limit_is_413_in_the_envelope() -> None:
    client = TestClient(_app())
    refused = client.post("/small", content=b"x" * 1025)
    assert refused.status_code == 413
    assert refused.json()["requestError"]["serviceException"]["messageId"] == "PAYLOAD_TOO_LARGE"
    assert client.post("/small", content=b"x" * 1024).json() == {"size": 1024}
    assert client.post("/big/import", content=b"x" * 4096).json() == {"size": 4096}
    assert client.post("/big/import", content=b"x" * 4097).status_code == 413


def test_a_streamed_body_over_the_limit_is_413() -> None:
    client = TestClient(_app())

    def chunks() -> Any:
        for _ in range(4):
            yield b"x" * 512

    refused = client.post("/small", content=chunks())
    assert refused.status_code == 413
