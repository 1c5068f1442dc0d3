"""Issue 14's wire shapes: Call Routing errors as ApiError, URL destinations with `url` beside
`type`, SIP headers and calls-configuration criteria matched, unknown query parameters refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient

from callplane_shared.http_errors import api_error_body, install_error_handlers
from callplane_shared.query_params import reject_unknown_query_parameters
from callplane_shared.routing import CallFacts, Route, match_route
from callplane_shared.routing.models import UrlDestination

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _route(criteria: list[dict[str, object]]) -> Route:
    return Route.model_validate(
        {
            "id": "r1",
            "name": "r",
            "order": 1,
            "accountId": "a",
            "version": 1,
            "criteria": criteria,
            "destinations": [{"type": "URL", "url": "https://example.com/next"}],
        }
    )


def test_url_destinations_take_infobips_shape_and_read_stored_legacy_ones() -> None:
    legacy = UrlDestination.model_validate({"type": "URL", "value": {"url": "https://x.test/a"}})
    assert legacy.url == "https://x.test/a"
    dumped = legacy.model_dump(by_alias=True, exclude_none=True)
    assert dumped == {"type": "URL", "url": "https://x.test/a"}
    # The decision still hands the edge `value.url`.
    assert legacy.value.url == "https://x.test/a"


def test_sip_headers_must_all_match() -> None:
    route = _route(
        [{"value": {"type": "SIP", "headers": [{"headerName": "X-Team", "headerValue": "sal.*"}]}}]
    )
    sales = CallFacts(from_="alice", to="1", endpoint_type="SIP", sip_headers={"x-team": "sales"})
    support = CallFacts(from_="alice", to="1", endpoint_type="SIP", sip_headers={"X-Team": "help"})
    assert match_route([route], sales, NOW) == route
    assert match_route([route], support, NOW) is None


def test_application_criteria_match_the_calls_configuration() -> None:
    route = _route([{"value": {"type": "APPLICATION", "callsConfigurationId": "cfg"}}])
    call = CallFacts(from_="", to="1", endpoint_type="APPLICATION", calls_configuration_id="cfg")
    assert match_route([route], call, NOW) == route
    stored = _route([{"value": {"type": "APPLICATION", "applicationId": "cfg"}}])
    assert match_route([stored], call, NOW) == stored


def test_api_error_body_lists_violations() -> None:
    body = api_error_body(400, "bad", {"criteria[0].to": ["unsafe"]})
    assert body["errorCode"] == "E400"
    assert body["violations"] == [{"property": "criteria[0].to", "violation": "unsafe"}]
    assert body["resources"] == []


def _app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(reject_unknown_query_parameters)])
    install_error_handlers(app, ("/callrouting/",))

    @app.get("/callrouting/1/routes")
    async def routes(page: Annotated[int, Query(ge=0, le=10)] = 0) -> dict[str, int]:
        return {"page": page}

    @app.get("/calls/1/configurations")
    async def configs(page: Annotated[int, Query(ge=0, le=10)] = 0) -> dict[str, int]:
        return {"page": page}

    return app


def test_unknown_query_parameters_are_a_400_in_the_body_of_the_api() -> None:
    client = TestClient(_app())
    assert client.get("/callrouting/1/routes?page=1").status_code == 200
    routed = client.get("/callrouting/1/routes?pagesize=5")
    assert routed.status_code == 400
    assert routed.json()["violations"][0]["property"] == "pagesize"
    other = client.get("/calls/1/configurations?lable=x")
    assert other.status_code == 400
    assert other.json()["requestError"]["serviceException"]["validationErrors"] == {
        "lable": [other.json()["requestError"]["serviceException"]["text"]]
    }
    invalid = client.get("/callrouting/1/routes?page=99")
    assert invalid.json()["errorCode"] == "E400"
