from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from callplane_shared.auth import generate_api_key, hash_api_key
from callplane_shared.events import AccountUpserted, CallDecision, Event
from callplane_shared.topics import ACCOUNTS, CALLS_DECISIONS, MASKING_CONFIGS
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer
from tests.support import eventually, unique

API = "/voice/masking/2"
logger = logging.getLogger(__name__)


STOP_SECONDS = 10.0


async def stop_quietly(stopping: Awaitable[None], what: str) -> None:
    """Stop a Kafka client with a bound; a teardown never fails the run. On a busy machine
    aiokafka's stop() can time out or raise CancelledError from its own fetch task: the tests
    already passed or failed on their own assertions by then, so it is logged, not raised."""
    try:
        async with asyncio.timeout(STOP_SECONDS):
            await stopping
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # we are being cancelled ourselves: let it through
        logger.warning("stopping %s was cancelled inside aiokafka; ignored", what)
    except (TimeoutError, KafkaError, OSError) as exc:
        logger.warning("stopping %s failed: %r; ignored", what, exc)


class TopicTail:
    """Records of a topic from 'now' on, by key; tests filter by their unique ids."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self.records: dict[str, list[bytes | None]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # No group: every partition is assigned at start.
        consumer = AIOKafkaConsumer(
            self._topic, bootstrap_servers=self._bootstrap, enable_auto_commit=False
        )
        await consumer.start()
        await consumer.seek_to_end()
        for tp in consumer.assignment():  # resolve positions now, before any test publishes
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            key = (record.key or b"").decode()
            self.records.setdefault(key, []).append(record.value)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=STOP_SECONDS)
        if self._consumer is not None:
            await stop_quietly(self._consumer.stop(), f"tail of {self._topic}")

    async def wait(self, key: str, count: int = 1, timeout: float = 15.0) -> list[bytes | None]:
        async def probe() -> list[bytes | None] | None:
            values = self.records.get(key, [])
            return values if len(values) >= count else None

        return await eventually(probe, timeout=timeout, interval=0.02, what=f"{count} on {key}")

    async def decision(self, call_id: str, timeout: float = 15.0) -> CallDecision:
        values = await self.wait(call_id, timeout=timeout)
        assert values[0] is not None
        return CallDecision.model_validate_json(values[0])


@pytest.fixture(scope="session")
def customer() -> Iterator[CustomerServer]:
    server = CustomerServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def other_customer() -> Iterator[CustomerServer]:
    server = CustomerServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def producer(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    kafka = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all")
    await kafka.start()
    yield kafka
    await stop_quietly(kafka.stop(), "the test producer")


# Tails live as long as the module that uses them, not the whole run: a consumer left fetching
# while other suites load the machine is what made the session teardown fail.
@pytest.fixture(scope="module")
async def decisions(endpoints: Endpoints) -> AsyncIterator[TopicTail]:
    tail = TopicTail(endpoints.kafka, CALLS_DECISIONS.name)
    await tail.start()
    yield tail
    await tail.stop()


@pytest.fixture(scope="module")
async def config_events(endpoints: Endpoints) -> AsyncIterator[TopicTail]:
    tail = TopicTail(endpoints.kafka, MASKING_CONFIGS.name)
    await tail.start()
    yield tail
    await tail.stop()


async def publish(producer: AIOKafkaProducer, topic: str, key: str, event: Event) -> None:
    await producer.send_and_wait(
        topic,
        event.model_dump_json(by_alias=True).encode(),
        key=key.encode(),
        headers=[("content-type", b"application/json")],
    )


@dataclass
class Tenant:
    account_id: str
    client: httpx.AsyncClient


MakeTenant = Callable[[], Awaitable[Tenant]]


@pytest.fixture
async def make_tenant(
    endpoints: Endpoints, producer: AIOKafkaProducer
) -> AsyncIterator[MakeTenant]:
    clients: list[httpx.AsyncClient] = []

    async def create() -> Tenant:
        account_id = unique("acct")
        key = generate_api_key()
        account = AccountUpserted(
            account_id=account_id,
            name=account_id,
            currency="EUR",
            api_key_hashes=[hash_api_key(key)],
        )
        await publish(producer, ACCOUNTS.name, account_id, account)
        client = httpx.AsyncClient(
            base_url=endpoints.base_url, headers={"Authorization": f"App {key}"}, timeout=10
        )
        clients.append(client)

        async def accepted() -> bool:
            return (await client.get(f"{API}/config")).status_code == 200

        await eventually(accepted, timeout=20, what=f"API accepts the key of {account_id}")
        return Tenant(account_id, client)

    yield create
    for client in clients:
        await client.aclose()


def now() -> datetime:
    return datetime.now(UTC)
