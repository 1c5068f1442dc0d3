"""The fixtures of the call-dispatch and number-masking integration tests, shared here: these
tests drive both services through the real broker and read what they expose."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.endpoints import Endpoints

# Re-exported fixtures (pytest finds fixtures by name in a conftest's namespace).
from tests.integration.call_dispatch.conftest import dispatch, producer, watcher
from tests.integration.number_masking.conftest import customer, decisions, make_tenant

__all__ = [
    "customer",
    "decisions",
    "dispatch",
    "http",
    "make_tenant",
    "producer",
    "watcher",
]


@pytest.fixture(scope="session")
async def http(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=10) as client:
        yield client
