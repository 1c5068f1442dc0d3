"""With MongoDB unreachable a request answers 503 with Retry-After within the store bound,
instead of hanging and answering 500 (issue 13, item 4)."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from callplane_shared.http_errors import install_error_handlers, install_store_error_handler
from callplane_shared.mongo import build_mongo_client
from callplane_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


async def test_an_unreachable_store_is_503_with_retry_after() -> None:
    settings = ServiceSettings(
        mongodb_uri=f"mongodb://127.0.0.1:{_closed_port()}/", mongodb_timeout_seconds=0.5
    )
    mongo = build_mongo_client(settings, "store-unavailable-test")
    app = FastAPI()
    install_error_handlers(app)
    install_store_error_handler(app)

    @app.get("/thing")
    async def thing() -> dict[str, int]:
        await mongo["db"]["things"].find_one({"_id": 1})
        return {"found": 1}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            reply = await client.get("/thing", timeout=30)
    finally:
        await mongo.close()
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    body = reply.json()["requestError"]["serviceException"]
    assert body["messageId"] == "SERVICE_UNAVAILABLE"
