from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, MASKING_REQUESTS
from tests.endpoints import Endpoints
from tests.integration.call_dispatch.support import TopicWatcher
from tests.support import eventually, stop_bounded


@pytest.fixture(scope="session")
async def producer(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all", enable_idempotence=True)
    await p.start()
    yield p
    await stop_bounded(p.stop, what="test producer")


@pytest.fixture(scope="session")
async def watcher(endpoints: Endpoints, producer: AIOKafkaProducer) -> AsyncIterator[TopicWatcher]:
    w = TopicWatcher(
        endpoints.kafka, [CALLS_DECISIONS.name, MASKING_REQUESTS.name, CALLS_INBOUND.dlq.name]
    )
    await w.start(producer)
    yield w
    await w.stop()


@pytest.fixture(scope="session")
async def dispatch(endpoints: Endpoints, watcher: TopicWatcher) -> TopicWatcher:
    """The call-dispatch that `make up` runs is ready (its view caught up)."""

    async def ready() -> bool:
        async with httpx.AsyncClient(base_url=endpoints.base_url) as client:
            try:
                reply = await client.get("/_services/call-dispatch/readyz")
            except httpx.HTTPError:
                return False
            return reply.status_code == 200

    await eventually(ready, timeout=60, what="call-dispatch ready (run `make up`)")
    return watcher
