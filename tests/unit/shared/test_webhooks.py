"""The shared webhook sender against httpx's mock transport: signing, bounded reads, refusals
before any request, and admission (the network itself is in tests/integration/webhooks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from callplane_shared import signing
from callplane_shared.webhooks import (
    AddressPolicy,
    ResolutionError,
    SenderLimits,
    SigningKey,
    WebhookError,
    WebhookSender,
    request_target,
)
from tests.support import eventually

pytestmark = pytest.mark.unit

ALLOW_LOOPBACK = AddressPolicy.parse("127.0.0.0/8")
Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class FakeDns:
    """Answers per hostname, in order, one list per lookup (the last repeats); records lookups."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(self, hostname: str, timeout: float) -> list[str]:
        assert timeout > 0
        self.lookups.append(hostname)
        if hostname not in self.answers:
            raise ResolutionError(f"{hostname} does not exist")
        queue = self.answers[hostname]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def sender(
    handler: Handler,
    *,
    dns: FakeDns | None = None,
    policy: AddressPolicy = ALLOW_LOOPBACK,
    limits: SenderLimits | None = None,
) -> WebhookSender:
    async def respond(request: httpx.Request) -> httpx.Response:
        answer = handler(request)
        return await answer if isinstance(answer, Awaitable) else answer

    return WebhookSender(
        policy,
        user_agent="test/1",
        limits=limits or SenderLimits(max_response_bytes=1024),
        resolver=dns or FakeDns({}),
        transport=httpx.MockTransport(respond),
    )


async def post(
    webhooks: WebhookSender,
    url: str = "http://127.0.0.1:9/cb?x=1",
    *,
    customer: str = "acct-1",
    budget: float = 1.0,
) -> object:
    return await webhooks.post(
        url,
        {"from": "a"},
        customer=customer,
        signing=SigningKey("app", "key-1"),
        connect_timeout=min(0.5, budget),
        budget=budget,
    )


async def test_signed_request_and_json_answer() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"command": "dial"})

    assert await post(sender(handle)) == {"command": "dial"}
    request = seen[0]
    signing.verify(request.headers, request.content, "key-1")
    signing.verify_infobip(
        request.headers["authorization"], "app", "key-1", "/cb?x=1", request.content
    )
    assert json.loads(request.content) == {"from": "a"}
    assert request.headers["user-agent"] == "test/1"


def test_signing_key_never_shows_its_secret() -> None:
    assert "key-1" not in repr(SigningKey("app", "key-1"))


async def test_streamed_body_over_the_cap_is_cut_off() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 512

    def handle(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, content=chunks())

    with pytest.raises(WebhookError, match="over 1024 bytes") as raised:
        await post(sender(handle))
    assert raised.value.outcome == "too_large"


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
        await post(sender(lambda _: response))


async def test_without_expect_json_any_2xx_will_do() -> None:
    webhooks = sender(lambda _: httpx.Response(204))
    answer = await webhooks.post(
        "http://127.0.0.1:9/status",
        {},
        customer="acct-1",
        signing=None,
        connect_timeout=0.5,
        budget=1.0,
        expect_json=False,
    )
    assert answer is None


async def test_refused_before_any_request_is_made() -> None:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    dns = FakeDns({"rebind.example": [["93.184.216.34", "10.0.0.7"]]})
    webhooks = sender(handle, dns=dns)
    cases = {
        "http://10.1.2.3/cb": ("private", "refused_address"),
        "http://100.64.1.2/cb": ("non-global", "refused_address"),
        "http://[2002:a00:1::1]/cb": ("6to4", "refused_address"),
        "http://rebind.example/cb": ("10.0.0.7", "refused_address"),
        "http://missing.example/cb": ("does not exist", "dns_error"),
        "gopher://127.0.0.1/cb": ("refused URL", "refused_url"),
        "http://user:pw@127.0.0.1/cb": ("refused URL", "refused_url"),
    }
    for url, (reason, outcome) in cases.items():
        with pytest.raises(WebhookError, match=reason) as raised:
            await post(webhooks, url)
        assert raised.value.outcome == outcome, url
    assert calls == []


async def test_a_full_customer_share_fails_at_once_and_other_customers_pass() -> None:
    release = asyncio.Event()
    seen: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/hang":
            await release.wait()
        return httpx.Response(200, json={"path": request.url.path})

    webhooks = sender(handle, limits=SenderLimits(per_customer=2, per_address=100))
    hung = [asyncio.create_task(post(webhooks, "http://127.0.0.1:9/hang")) for _ in range(2)]
    await _until(lambda: webhooks.admission.customers.count("acct-1") == 2)

    with pytest.raises(WebhookError, match="customer share full") as raised:
        # A long budget: refused at once, not after waiting for a slot.
        await post(webhooks, "http://127.0.0.1:10/fast", budget=30)
    assert raised.value.outcome == "busy"
    assert await post(webhooks, "http://127.0.0.1:10/fast", customer="acct-2") == {"path": "/fast"}
    assert seen.count("/fast") == 1  # the refused one never reached the server
    release.set()
    await asyncio.gather(*hung)
    assert len(webhooks.admission.customers) == 0  # counters are dropped when idle


async def test_per_host_limit_is_per_resolved_address_across_hostnames() -> None:
    release = asyncio.Event()
    seen: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host == "a.example":
            await release.wait()
        return httpx.Response(200, json={"host": request.url.host})

    dns = FakeDns(
        {
            "a.example": [["127.0.0.5"]],
            "alias.example": [["127.0.0.5"]],  # another name for the busy server
            "b.example": [["127.0.0.6"]],
        }
    )
    webhooks = sender(handle, dns=dns, limits=SenderLimits(per_customer=100, per_address=1))
    holder = asyncio.create_task(post(webhooks, "http://a.example/cb"))
    await _until(lambda: webhooks.admission.addresses.count("127.0.0.5") == 1)

    with pytest.raises(WebhookError, match="host share full") as raised:
        await post(webhooks, "http://alias.example/cb", customer="acct-2", budget=30)
    assert raised.value.outcome == "busy"
    assert await post(webhooks, "http://b.example/cb", customer="acct-2") == {"host": "b.example"}
    assert seen == ["a.example", "b.example"]  # alias.example was never sent
    release.set()
    assert await holder == {"host": "a.example"}


async def test_budget_covers_a_hanging_answer_and_says_where_it_stopped() -> None:
    async def handle(_: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError  # pragma: no cover

    with pytest.raises(WebhookError, match=r"timeout after \d+ ms waiting for the answer"):
        await post(sender(handle), budget=0.05)


def test_request_target_is_path_plus_query() -> None:
    assert request_target("https://x.example/a/b?c=1&d=2") == "/a/b?c=1&d=2"
    assert request_target("https://x.example") == "/"


async def _until(condition: Callable[[], bool]) -> None:
    async def probe() -> bool:
        return condition()

    await eventually(probe, timeout=5, interval=0.001, what="deliveries in flight")
