"""Connect to the address that was vetted, not to whatever DNS says a millisecond later.

The URL is sent unchanged, so the `Host` header, TLS SNI and certificate check all use the
customer's hostname; only the TCP connect is redirected to the vetted address, by a network
backend that refuses every connection for which no address was pinned (fail closed). The pin is
a context variable: httpcore connects inside the task that sends the request.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore
import httpx

_PINNED: ContextVar[tuple[str, str] | None] = ContextVar("webhook_pinned_address", default=None)


@contextmanager
def pinned(hostname: str, address: str) -> Iterator[None]:
    """Within this block, connections to `hostname` go to `address` (and no other host's)."""
    token = _PINNED.set((hostname.lower(), address))
    try:
        yield
    finally:
        _PINNED.reset(token)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        pin = _PINNED.get()
        if pin is None or pin[0] != host.lower():
            raise httpcore.ConnectError(f"no vetted address for {host}: not connecting")
        return await self._inner.connect_tcp(
            pin[1], port, timeout, local_address, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(
    limits: httpx.Limits, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a pool whose connections go only to pinned addresses."""
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False, limits=limits)
    # httpx exposes no network-backend option; its pool is rebuilt with the same settings and
    # ours (httpx is pinned; tests/unit/shared/test_webhook_pinning.py fails if this stops working).
    transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinnedBackend(),
    )
    return transport
