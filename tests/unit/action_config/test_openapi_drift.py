"""The committed OpenAPI document is what the code serves (regenerate with
`uv run python -m action_config.openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from action_config.openapi import DEFAULT_PATH, document, render

pytestmark = pytest.mark.unit


def test_committed_openapi_matches_the_app() -> None:
    committed = json.loads(Path(DEFAULT_PATH).read_text())
    assert committed == json.loads(render()), (
        "services/action-config/openapi.json is stale: run `uv run python -m action_config.openapi`"
    )


def test_openapi_has_every_public_path() -> None:
    paths = set(document()["paths"])
    assert {
        "/numbers/2/numbers/{numberKey}/voice",
        "/numbers/2/numbers/{numberKey}/voice/history",
        "/callrouting/1/routes",
        "/callrouting/1/routes/simulate",
        "/callrouting/1/routes/{routeId}",
        "/callrouting/1/routes/{routeId}/status",
        "/calls/1/configurations",
        "/calls/1/configurations/{callsConfigurationId}",
        "/voice/ivr/1/scenarios",
        "/voice/ivr/1/scenarios/{id}",
    } <= paths
