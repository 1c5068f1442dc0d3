from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from console.public_api import PublicApi
from console.sessions import Principal, Role

pytestmark = pytest.mark.unit

OPERATOR = Principal(Role.OPERATOR, SecretStr("admin-token"), "operator")


async def test_operator_calls_go_to_the_internal_ingress_and_the_rest_to_the_public_one() -> None:
    seen: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["Host"]))
        return httpx.Response(200, json={})

    api = PublicApi(
        "http://public-controller",
        5,
        host="api.example.com",
        transport=httpx.MockTransport(answer),
        operator_base_url="http://internal-controller/",
        operator_host="admin.example.internal",
    )
    await api.call(OPERATOR, "GET", "/admin/1/payments")
    await api.call(OPERATOR, "GET", "/records/1/calls/c1")
    await api.call(OPERATOR, "GET", "/account/1/balance")
    await api.aclose()
    assert seen == [
        ("http://internal-controller/admin/1/payments", "admin.example.internal"),
        ("http://internal-controller/records/1/calls/c1", "admin.example.internal"),
        ("http://public-controller/account/1/balance", "api.example.com"),
    ]


async def test_without_an_operator_url_every_call_goes_to_the_public_base_url() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    api = PublicApi("http://nginx:8080", 5, transport=httpx.MockTransport(answer))
    await api.call(OPERATOR, "GET", "/admin/1/payments")
    await api.aclose()
    assert seen == ["http://nginx:8080/admin/1/payments"]
