from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.endpoints import Endpoints
from tests.integration.number_inventory.inventory import Inventory


@pytest.fixture
async def inventory(endpoints: Endpoints) -> AsyncIterator[Inventory]:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=30) as http:
        yield Inventory(http)
