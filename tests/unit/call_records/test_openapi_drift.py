from __future__ import annotations

import json
from pathlib import Path

import pytest

from call_records import openapi

pytestmark = pytest.mark.unit

OPENAPI = Path(__file__).resolve().parents[3] / "services/call-records/openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    assert json.loads(OPENAPI.read_text()) == json.loads(openapi.render()), (
        "openapi.json drifted: run `uv run python -m call_records.openapi > "
        "services/call-records/openapi.json`"
    )


def test_the_history_offers_infobips_filters_and_bounded_paging() -> None:
    params = {
        p["name"]: p
        for p in openapi.document()["paths"]["/calls/1/calls/history"]["get"]["parameters"]
    }
    assert {
        "type",
        "callsConfigurationId",
        "from",
        "to",
        "direction",
        "status",
        "startTimeAfter",
        "startTimeBefore",
        "page",
        "size",
    } <= params.keys()
    assert params["size"]["schema"]["maximum"] == 100
