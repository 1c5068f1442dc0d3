"""Fixtures the e2e suites share: a producer onto the real broker, and the edge's publisher."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from callplane_client.publisher import CallPublisher
from tests.endpoints import Endpoints


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
