from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tests.endpoints import Endpoints
from tests.integration.action_config.world import Tenant, World
from tests.support import stop_bounded


@pytest.fixture(scope="session")
async def world(endpoints: Endpoints) -> AsyncIterator[World]:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all")
    await producer.start()
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=30) as http:
        yield World(endpoints.kafka, http, producer)
    await stop_bounded(producer.stop, what="test producer")


@pytest.fixture
async def tenant(world: World) -> Tenant:
    return await world.tenant()
