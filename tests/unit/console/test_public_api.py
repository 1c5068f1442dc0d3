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


@pytest.mark.parametrize(
    ("base", "sni"),
    [("https://public-controller", "api.example.com"), ("http://public-controller", None)],
)
async def test_over_tls_the_host_is_also_the_name_the_certificate_is_checked_for(
    base: str, sni: str | None
) -> None:
    seen: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions.get("sni_hostname"))
        return httpx.Response(200, json={})

    api = PublicApi(
        base,
        5,
        host="api.example.com",
        transport=httpx.MockTransport(answer),
        operator_base_url=base.replace("public", "internal"),
        operator_host="admin.example.internal",
    )
    await api.call(OPERATOR, "GET", "/account/1/balance")
    await api.call(OPERATOR, "GET", "/admin/1/payments")
    await api.aclose()
    assert seen == [sni, sni and "admin.example.internal"]
