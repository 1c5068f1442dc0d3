"""Fixtures the e2e suites share: an operator's client, a producer onto the real broker, the
edge's publisher, and a customer platform on loopback for webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from callplane_client.publisher import CallPublisher
from tests.e2e.journey import admin_client
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer


@pytest.fixture
async def producer(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all", enable_idempotence=True)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def edge(endpoints: Endpoints) -> AsyncIterator[CallPublisher]:
    async with CallPublisher(endpoints.kafka) as publisher:
        yield publisher


@pytest.fixture
async def admin(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_client(endpoints.base_url) as client:
        yield client


@pytest.fixture
def platform() -> Iterator[CustomerServer]:
    """A customer's platform on loopback: records every webhook, answers as each test says."""
    server = CustomerServer()
    server.start()
    yield server
    server.stop()
