"""Every service answers its health checks through the one public entry (nginx)."""

from __future__ import annotations

import httpx
import pytest
import yaml

from tests.endpoints import Endpoints
from tests.support import REPO_ROOT

pytestmark = pytest.mark.e2e

SERVICES = sorted(yaml.safe_load((REPO_ROOT / "deploy/routes.yaml").read_text())["services"])
# Clients of the public API: no Kafka, no MongoDB of their own (the console).
API_CLIENTS = {"console"}


@pytest.mark.parametrize("service", SERVICES)
async def test_service_is_ready_behind_nginx(endpoints: Endpoints, service: str) -> None:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=10) as client:
        live = await client.get(f"/_services/{service}/livez")
        ready = await client.get(f"/_services/{service}/readyz")
    assert live.status_code == 200
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    if service in API_CLIENTS:
        assert not {"kafka", "mongodb"} & checks.keys(), checks
        return
    assert checks["kafka"] == "ok"
    # call-dispatch keeps no database since call-records took over the decision log.
    assert checks.get("mongodb") == (None if service == "call-dispatch" else "ok")


async def test_unknown_path_gets_infobip_error_envelope(endpoints: Endpoints) -> None:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=10) as client:
        response = await client.get("/no/such/api")
    assert response.status_code == 404
    assert response.json()["requestError"]["serviceException"]["messageId"] == "NOT_FOUND"
