"""The pinned transport fails closed: without an address vetted for this very host it opens no
connection at all (so httpx can never fall back to resolving the name itself)."""

from __future__ import annotations

import httpx
import pytest

from callplane_shared.webhooks.pinning import pinned, pinned_transport

pytestmark = pytest.mark.unit


async def test_no_connection_without_a_pin_for_the_host() -> None:
    transport = pinned_transport(httpx.Limits())
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError, match=r"no vetted address for customer\.example"):
            await client.get("http://customer.example/cb")
        with (
            pinned("other.example", "127.0.0.1"),
            pytest.raises(httpx.ConnectError, match=r"no vetted address for customer\.example"),
        ):
            await client.get("http://customer.example/cb")
