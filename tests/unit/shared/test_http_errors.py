from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from callplane_shared.http_errors import ApiError, bad_request, install_error_handlers

pytestmark = pytest.mark.unit


class Body(BaseModel):
    name: str
    limit: int


def make_client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> Body:
        if body.name == "taken":
            raise ApiError(409, "A thing with that name exists.")
        if body.name == "bad":
            raise bad_request("Name must not be 'bad'.", field="name")
        return body

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return TestClient(app, raise_server_exceptions=False)


def test_validation_errors_name_each_field() -> None:
    response = make_client().post("/things", json={"limit": "many"})
    assert response.status_code == 400
    exception = response.json()["requestError"]["serviceException"]
    assert exception["messageId"] == "BAD_REQUEST"
    assert exception["validationErrors"]["name"] == ["is required"]
    assert "limit" in exception["validationErrors"]
    assert "limit" in exception["text"]


def test_api_error_uses_its_status_and_message_id() -> None:
    response = make_client().post("/things", json={"name": "taken", "limit": 1})
    assert response.status_code == 409
    assert response.json() == {
        "requestError": {
            "serviceException": {"messageId": "CONFLICT", "text": "A thing with that name exists."}
        }
    }


def test_bad_request_names_the_field() -> None:
    response = make_client().post("/things", json={"name": "bad", "limit": 1})
    errors = response.json()["requestError"]["serviceException"]["validationErrors"]
    assert errors == {"name": ["Name must not be 'bad'."]}


def test_unknown_route_and_unexpected_errors_keep_the_envelope() -> None:
    client = make_client()
    missing = client.get("/nothing")
    boom = client.get("/boom")
    assert missing.json()["requestError"]["serviceException"]["messageId"] == "NOT_FOUND"
    assert boom.status_code == 500
    assert "secret internals" not in boom.text
    assert boom.json()["requestError"]["serviceException"]["messageId"] == "GENERAL_ERROR"
