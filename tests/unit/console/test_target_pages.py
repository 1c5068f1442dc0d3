"""The targets' pages against a fake of the public API (httpx's MockTransport): what each page
sends and shows. The real API behind nginx is in tests/e2e/console."""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from console.main import _install_pages
from console.pages_routing_tools import routing_tools_router
from console.pages_targets import targets_router
from console.public_api import PublicApi
from console.sessions import Principal, Role, Session, SessionStore
from console.settings import Settings
from console.web import COOKIE, Console

pytestmark = pytest.mark.unit

ROUTE = {
    "id": "r1",
    "name": "Sales",
    "criteria": [],
    "destinations": [
        {"type": "ENDPOINT", "priority": 1, "value": {"type": "PHONE", "phoneNumber": "4179302"}}
    ],
    "timeZone": "UTC",
    "status": "ENABLED",
    "order": 1,
    "accountId": "a1",
    "version": 2,
}
SCENARIO = {"id": "s1", "name": "Survey", "script": [{"say": "Hi"}], "version": 1}
IN_USE = {"description": "Route r1 is in use by 1 number(s).", "violations": []}


class FakeApi:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []
        self.params: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        self.params.append(dict(request.url.params))
        answers: dict[tuple[str, str], tuple[int, Any]] = {
            ("GET", "/callrouting/1/routes/r1"): (200, ROUTE),
            ("DELETE", "/callrouting/1/routes/r1"): (409, IN_USE),
            ("POST", "/callrouting/1/routes/simulate"): (200, ROUTE),
            ("POST", "/voice/ivr/1/scenarios"): (200, {**SCENARIO, "notifySecret": "s3cr3t-once"}),
            ("GET", "/voice/ivr/1/scenarios/s1"): (200, SCENARIO),
            ("PUT", "/voice/masking/2/credentials"): (200, {"apiId": "app"}),
        }
        status, answer = answers.get(
            (request.method, request.url.path),
            (404, {"requestError": {"serviceException": {"text": "Not found."}}}),
        )
        return httpx.Response(status, json=answer)


@pytest.fixture
def fake() -> FakeApi:
    return FakeApi()


@pytest.fixture
def signed_in(fake: FakeApi) -> tuple[TestClient, Session]:
    sessions = SessionStore(600, 10, os.urandom(32))
    api = PublicApi("http://api.test", 5, transport=httpx.MockTransport(fake))
    key = base64.b64encode(os.urandom(32)).decode()
    settings = Settings(console_cookie_secure=False, console_session_key=SecretStr(key))
    console = Console(settings, sessions, api)
    app = FastAPI()
    app.include_router(routing_tools_router(console))
    app.include_router(targets_router(console))
    _install_pages(app, console)
    session = sessions.open(Principal(Role.CUSTOMER, SecretStr("key"), "account"))
    client = TestClient(app)
    client.cookies.set(COOKIE, sessions.seal(session))
    return client, session


def test_the_notify_secret_is_shown_after_creation_and_never_again(
    signed_in: tuple[TestClient, Session],
) -> None:
    client, session = signed_in
    created = client.post(
        "/console/new/ivr", data={"csrf": session.csrf, "name": "Survey", "script": "[]"}
    )
    assert created.status_code == 200
    assert 'value="s3cr3t-once"' in created.text
    assert "s3cr3t-once" not in client.get("/console/ivr/s1").text


def test_a_delete_the_api_refuses_shows_its_in_use_text(
    signed_in: tuple[TestClient, Session],
) -> None:
    client, session = signed_in
    refused = client.post(
        "/console/routes/r1/delete", data={"csrf": session.csrf, "confirm": "yes"}
    )
    assert refused.status_code == 409
    assert "in use by 1 number(s)" in refused.text


def test_without_the_confirmation_nothing_is_deleted(
    signed_in: tuple[TestClient, Session], fake: FakeApi
) -> None:
    client, session = signed_in
    client.post("/console/routes/r1/delete", data={"csrf": session.csrf})
    assert not [s for s in fake.sent if s[0] == "DELETE"]


def test_a_form_without_the_csrf_token_never_reaches_the_api(
    signed_in: tuple[TestClient, Session], fake: FakeApi
) -> None:
    client, _ = signed_in
    refused = client.post("/console/new/routes", data={"name": "x", "destinations": "[]"})
    assert refused.status_code == 403
    assert fake.sent == []


def test_an_id_the_api_does_not_know_for_this_account_is_the_404_page(
    signed_in: tuple[TestClient, Session],
) -> None:
    client, _ = signed_in
    for path in ("/console/routes/other", "/console/ivr/other", "/console/masking/k9/delete"):
        assert client.get(path).status_code == 404, path


def test_simulate_shows_the_route_and_its_destinations(
    signed_in: tuple[TestClient, Session], fake: FakeApi
) -> None:
    client, session = signed_in
    shown = client.post(
        "/console/routes/simulate",
        data={"csrf": session.csrf, "to": "4930", "type": "SIP", "from": "alice"},
    )
    assert "PHONE 4179302" in shown.text
    assert fake.sent[-1][2] == {
        "to": "4930",
        "useDisabledRoutes": False,
        "endpoint": {"type": "SIP", "from": "alice"},
    }


def test_a_generated_masking_key_is_shown_once_and_sent_only_to_the_api(
    signed_in: tuple[TestClient, Session], fake: FakeApi
) -> None:
    client, session = signed_in
    shown = client.post("/console/masking/credentials", data={"csrf": session.csrf, "apiId": "app"})
    key = fake.sent[-1][2]["key"]
    assert re.fullmatch(r"[0-9a-f]{48}", key)
    assert f'value="{key}"' in shown.text
    assert session.flash == []


def test_the_stylesheet_is_not_taken_by_a_kinds_pages(
    signed_in: tuple[TestClient, Session],
) -> None:
    client, _ = signed_in
    assert client.get("/console/static/console.css").status_code == 200


def test_a_list_pages_in_the_apis_own_numbering(
    signed_in: tuple[TestClient, Session], fake: FakeApi
) -> None:
    client, _ = signed_in
    client.get("/console/ivr?page=2")
    client.get("/console/routes?page=2")
    assert fake.params == [{"pageSize": "100", "page": "3"}, {"size": "100", "page": "2"}]


def test_a_route_row_is_added_without_saving_and_the_rows_are_sent_as_the_apis_lists(
    signed_in: tuple[TestClient, Session], fake: FakeApi
) -> None:
    client, session = signed_in
    form = {
        "csrf": session.csrf,
        "name": "Sales",
        "destinations-0-type": "PHONE",
        "destinations-0-value": "41793026727",
        "destinations-0-priority": "1",
    }
    added = client.post("/console/routes/r1", data={**form, "op": "add-criterion"})
    assert added.status_code == 200
    assert 'id="criteria-0-to"' in added.text
    assert "autofocus" in added.text
    assert not [s for s in fake.sent if s[0] == "PUT"], "adding a row saves nothing"
    form |= {"criteria-0-to": "4930(.+)", "criteria-0-type": "", "criteria-0-caller": ""}
    client.post("/console/routes/r1", data=form)
    (put,) = [s for s in fake.sent if s[0] == "PUT"]
    assert put[2]["criteria"] == [{"to": "4930(.+)"}]
    assert put[2]["destinations"] == [
        {
            "type": "ENDPOINT",
            "priority": 1,
            "value": {"type": "PHONE", "phoneNumber": "41793026727"},
        }
    ]


def test_the_stored_routes_rows_are_fields_of_the_form(
    signed_in: tuple[TestClient, Session],
) -> None:
    client, _ = signed_in
    page = client.get("/console/routes/r1").text
    assert (
        'id="destinations-0-value" name="destinations-0-value" maxlength="2048" value="4179302"'
        in page
    )
    assert "Remove destination 1" in page
