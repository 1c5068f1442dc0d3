"""The shared webhook sender over real sockets on loopback: a DNS server of the test's own (no
outside DNS), customer servers on 127.0.0.1 and 127.0.0.2, TLS with a certificate of its own.

The address policy's allowlist stands in for "globally routable": only 127.0.0.1 is allowed, so
127.0.0.1 plays the public address a name first resolves to and 127.0.0.2 the internal one it
rebinds to (no test may connect outside this machine)."""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from callplane_shared.webhooks import (
    AddressPolicy,
    DnsResolver,
    SenderLimits,
    WebhookError,
    WebhookSender,
)
from tests.integration.number_masking.customer import CustomerServer, answer
from tests.integration.webhooks.dns_server import NXDOMAIN, SILENT, DnsServer
from tests.integration.webhooks.tls import self_signed
from tests.support import unique

pytestmark = pytest.mark.integration

VETTED_ONLY = AddressPolicy.parse("127.0.0.1/32")
BUDGET = 1.0
MARGIN = 0.5  # scheduling slack on a loaded machine; the bound under test is the budget


@pytest.fixture
async def dns() -> AsyncIterator[DnsServer]:
    server = DnsServer()
    await server.start()
    yield server
    server.stop()


@pytest.fixture
def servers() -> Iterator[tuple[CustomerServer, CustomerServer]]:
    """The same port on 127.0.0.1 (vetted) and 127.0.0.2 (where a rebinding points)."""
    vetted = CustomerServer()
    vetted.start()
    rebound = CustomerServer(host="127.0.0.2", port=vetted.port)
    rebound.start()
    yield vetted, rebound
    vetted.stop()
    rebound.stop()


def sender(dns: DnsServer, verify: ssl.SSLContext | bool = True) -> WebhookSender:
    return WebhookSender(
        VETTED_ONLY,
        user_agent="test/1",
        limits=SenderLimits(),
        resolver=DnsResolver(nameservers=["127.0.0.1"], port=dns.port),
        verify=verify,
    )


async def post(webhooks: WebhookSender, url: str) -> Any:
    return await webhooks.post(
        url, {"x": 1}, customer=unique("acct"), signing=None, connect_timeout=0.5, budget=BUDGET
    )


async def test_a_rebinding_name_is_connected_to_the_address_that_was_vetted(
    dns: DnsServer, servers: tuple[CustomerServer, CustomerServer]
) -> None:
    vetted, rebound = servers
    name = f"{unique('rebind')}.test"
    path = f"/{unique('cb')}"
    vetted.on(path, answer({"served": "vetted"}))
    rebound.on(path, answer({"served": "rebound"}))
    # TTL 0: a second lookup, by anyone, gets the internal address.
    dns.scripts[name] = [["127.0.0.1"], ["127.0.0.2"]]
    webhooks = sender(dns)
    url = vetted.url(path, host=name)

    assert await post(webhooks, url) == {"served": "vetted"}
    [received] = vetted.requests_to(path)
    assert received.headers["host"] == f"{name}:{vetted.port}"  # Host kept, address pinned
    assert dns.lookups(name) == 1  # resolved once: nothing resolved it again to connect

    with pytest.raises(WebhookError, match=r"loopback address 127\.0\.0\.2") as raised:
        await post(webhooks, url)  # the next call sees the rebinding and refuses it
    assert raised.value.outcome == "refused_address"
    assert rebound.requests_to(path) == []
    await webhooks.aclose()


async def test_a_name_with_an_internal_address_among_its_answers_is_refused(
    dns: DnsServer, servers: tuple[CustomerServer, CustomerServer]
) -> None:
    vetted, rebound = servers
    name = f"{unique('mixed')}.test"
    path = f"/{unique('cb')}"
    vetted.on(path, answer({}))
    dns.scripts[name] = [["127.0.0.1", "127.0.0.2"]]
    webhooks = sender(dns)

    with pytest.raises(WebhookError, match=r"127\.0\.0\.2") as raised:
        await post(webhooks, vetted.url(path, host=name))

    assert raised.value.outcome == "refused_address"
    assert vetted.requests_to(path) == []
    assert rebound.requests_to(path) == []
    await webhooks.aclose()


@pytest.mark.parametrize(
    ("script", "reason", "outcome"),
    [
        ([NXDOMAIN], "does not exist", "dns_error"),
        ([SILENT], "resolving the host", "timeout"),
    ],
    ids=["nxdomain", "dns-server-silent"],
)
async def test_dns_failures_end_inside_the_budget(
    dns: DnsServer, script: list[Any], reason: str, outcome: str
) -> None:
    name = f"{unique('dns')}.test"
    dns.scripts[name] = script
    webhooks = sender(dns)
    started = time.monotonic()

    with pytest.raises(WebhookError, match=reason) as raised:
        await post(webhooks, f"http://{name}/cb")

    assert raised.value.outcome == outcome
    assert time.monotonic() - started < BUDGET + MARGIN
    await webhooks.aclose()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[CustomerServer, str, str]]:
    hostname = f"{unique('hooks')}.test"
    certificate = self_signed(hostname, tmp_path)
    server = CustomerServer(tls=certificate)
    server.start()
    yield server, hostname, certificate[0]
    server.stop()


async def test_tls_checks_the_certificate_against_the_hostname_not_the_pinned_address(
    dns: DnsServer, tls_server: tuple[CustomerServer, str, str]
) -> None:
    server, hostname, cert_file = tls_server
    path = f"/{unique('cb')}"
    server.on(path, answer({"over": "tls"}))
    dns.scripts[hostname] = [["127.0.0.1"]]
    trusting = sender(dns, verify=ssl.create_default_context(cafile=cert_file))
    default = sender(dns)

    assert await post(trusting, server.url(path, host=hostname)) == {"over": "tls"}
    with pytest.raises(WebhookError, match="TLS failure") as by_address:
        # The same server by its address: the certificate names the host, not 127.0.0.1.
        await post(trusting, server.url(path))
    with pytest.raises(WebhookError, match="TLS failure") as untrusted:
        await post(default, server.url(path, host=hostname))

    assert by_address.value.outcome == untrusted.value.outcome == "tls_error"
    assert len(server.requests_to(path)) == 1
    await trusting.aclose()
    await default.aclose()
