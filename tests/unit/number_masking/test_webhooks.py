from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from callplane_shared import signing
from number_masking.domain.addresses import AddressPolicy
from number_masking.store import Credentials
from number_masking.webhooks import WebhookClient, WebhookError, request_target

pytestmark = pytest.mark.unit

ALLOW_LOOPBACK = AddressPolicy.parse("127.0.0.1")


def client(handler: httpx.MockTransport, per_host: int = 4) -> WebhookClient:
    return WebhookClient(
        ALLOW_LOOPBACK, max_response_bytes=1024, per_host_concurrency=per_host, transport=handler
    )


async def post(webhooks: WebhookClient, url: str = "http://127.0.0.1:9/cb?x=1") -> object:
    return await webhooks.post(
        url,
        {"from": "a"},
        credentials=Credentials("app", "key-1"),
        connect_timeout=0.5,
        budget=1.0,
    )


async def test_signed_request_and_json_answer() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"command": "dial"})

    assert await post(client(httpx.MockTransport(handle))) == {"command": "dial"}
    request = seen[0]
    signing.verify(request.headers, request.content, "key-1")
    signing.verify_infobip(
        request.headers["authorization"], "app", "key-1", "/cb?x=1", request.content
    )
    assert json.loads(request.content) == {"from": "a"}


async def test_streamed_body_over_the_cap_is_cut_off() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 512

    def handle(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=chunks())

    with pytest.raises(WebhookError, match="over 1024 bytes"):
        await post(client(httpx.MockTransport(handle)))


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(307, headers={"location": "http://169.254.169.254/"}), "redirect"),
        (httpx.Response(500, json={}), "HTTP 500"),
        (httpx.Response(200, text="<html/>", headers={"content-type": "text/html"}), "not JSON"),
        (httpx.Response(200, content=b"{", headers={"content-type": "application/json"}), "valid"),
    ],
)
async def test_unusable_answers(response: httpx.Response, reason: str) -> None:
    with pytest.raises(WebhookError, match=reason):
        await post(client(httpx.MockTransport(lambda _: response)))


async def test_private_address_is_refused_before_any_request() -> None:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    with pytest.raises(WebhookError, match="private"):
        await post(client(httpx.MockTransport(handle)), "http://10.1.2.3/cb")
    with pytest.raises(WebhookError, match="scheme"):
        await post(client(httpx.MockTransport(handle)), "gopher://127.0.0.1/cb")
    assert calls == []


async def test_budget_covers_waiting_for_the_per_host_slot() -> None:
    release = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.url.port == 9:  # the slow customer
            await release.wait()
        return httpx.Response(200, json={"port": request.url.port})

    webhooks = client(httpx.MockTransport(handle), per_host=1)
    holder = asyncio.create_task(post(webhooks))
    await asyncio.sleep(0)
    with pytest.raises(WebhookError, match="timeout"):
        await webhooks.post(
            "http://127.0.0.1:9/other",
            {},
            credentials=None,
            connect_timeout=0.05,
            budget=0.1,
        )
    # Another host:port on the same client is not held up by the busy one.
    assert await post(webhooks, "http://127.0.0.1:10/cb") == {"port": 10}
    release.set()
    assert await holder == {"port": 9}


def test_request_target_is_path_plus_query() -> None:
    assert request_target("https://x.example/a/b?c=1&d=2") == "/a/b?c=1&d=2"
    assert request_target("https://x.example") == "/"
