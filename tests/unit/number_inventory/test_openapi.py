"""The committed openapi.json is what the code serves; regenerate it with
`uv run python -m number_inventory.openapi > services/number-inventory/openapi.json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from number_inventory.openapi import openapi_document, render

pytestmark = pytest.mark.unit

COMMITTED = Path(__file__).resolve().parents[3] / "services/number-inventory/openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    assert COMMITTED.exists(), "generate services/number-inventory/openapi.json"
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == json.loads(render()), (
        "openapi.json drifted: run `uv run python -m number_inventory.openapi > "
        "services/number-inventory/openapi.json`"
    )


def test_document_has_infobip_operations() -> None:
    paths = openapi_document()["paths"]
    assert set(paths["/numbers/1/numbers/{numberKey}"]) == {"get", "put", "delete"}
    assert "get" in paths["/numbers/1/numbers/available"]
    assert "post" in paths["/account/1/payments"]
