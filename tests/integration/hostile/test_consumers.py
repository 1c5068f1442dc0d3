"""Every other consumer of the project under generated hostile records (issue 12, invariant 6).

For each topic a service reads, Hypothesis breaks a valid event of that topic (wrong types,
missing and extra fields, huge strings, odd timestamps, bytes that are not JSON); every record
the contract refuses is published with a unique key. Consumer groups must dead-letter each one
with a reason; group-less views must skip and count each one without stopping. The last record
of each batch is handled too, so the consumer kept going, and every service stays live and ready.
(calls.inbound has its own suite: tests/integration/call_dispatch/test_hostile_calls.py.)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import TypeAdapter

from callplane_shared.dlq import FAILED_BY, REASON
from callplane_shared.events import (
    AccountUpserted,
    CallStatus,
    MaskingConfigUpserted,
    MaskingRequest,
    NumberLifecycleEvent,
    RouteUpserted,
    VoiceActionSet,
    utc_now,
)
from callplane_shared.topics import (
    ACCOUNTS,
    CALLS_STATUS,
    MASKING_CONFIGS,
    MASKING_REQUESTS,
    NUMBERS_LIFECYCLE,
    VOICE_ACTIONS,
    VOICE_ROUTES,
    TopicSpec,
)
from tests.endpoints import Endpoints
from tests.integration.call_dispatch.support import TopicWatcher
from tests.integration.hostile.shapes import Body, broken, draw, encoded, invalid_for
from tests.integration.observability.scrape import SERVICES, scrape, value
from tests.support import eventually, unique
from tests.unit.call_dispatch.builders import route, route_upserted

pytestmark = pytest.mark.integration
PER_TOPIC = 60
NOW = utc_now().isoformat()
NUMBER_KEY = "0123456789ABCDEF0123456789ABCDEF"


def _route_body() -> Body:
    body: Body = json.loads(route_upserted(route("acc-hostile")).model_dump_json(by_alias=True))
    return body


# topic → (a valid event as the producer sends it, how the consumers decode it, its timestamps)
VALID: dict[str, tuple[Callable[[], Body], Callable[[bytes], object], tuple[str, ...]]] = {
    NUMBERS_LIFECYCLE.name: (
        lambda: {
            "eventType": "NumberLeased",
            "numberKey": NUMBER_KEY,
            "number": "+41790000000",
            "accountId": "acc-hostile",
            "capabilities": ["VOICE"],
            "type": "VIRTUAL_LONG_NUMBER",
            "country": "CH",
        },
        TypeAdapter(NumberLifecycleEvent).validate_json,
        ("occurredAt",),
    ),
    MASKING_REQUESTS.name: (
        lambda: {
            "callId": unique("call"),
            "number": "+41790000000",
            "accountId": "acc-hostile",
            "configKey": "cfg",
            "from": "+41445550100",
            "to": "+41790000000",
            "receivedAt": NOW,
            "actionVersion": 1,
        },
        MaskingRequest.model_validate_json,
        ("receivedAt", "occurredAt"),
    ),
    CALLS_STATUS.name: (
        lambda: {
            "callId": unique("call"),
            "state": "RINGING",
            "from": "+41445550100",
            "to": "+41790000000",
            "ringingAt": NOW,
        },
        CallStatus.model_validate_json,
        ("ringingAt", "answeredAt", "endedAt", "occurredAt"),
    ),
    ACCOUNTS.name: (
        lambda: {"accountId": "acc-hostile", "name": "n", "currency": "EUR"},
        AccountUpserted.model_validate_json,
        ("occurredAt",),
    ),
    VOICE_ACTIONS.name: (
        lambda: {
            "number": "+41790000000",
            "numberKey": NUMBER_KEY,
            "accountId": "acc-hostile",
            "voiceCapable": True,
            "version": 1,
        },
        VoiceActionSet.model_validate_json,
        ("occurredAt",),
    ),
    VOICE_ROUTES.name: (_route_body, RouteUpserted.model_validate_json, ("occurredAt",)),
    MASKING_CONFIGS.name: (
        lambda: {"key": "cfg", "accountId": "acc-hostile", "name": "n"},
        MaskingConfigUpserted.model_validate_json,
        ("occurredAt",),
    ),
}

# Consumer groups: bad records go to <topic>.dlq, one per consuming service.
GROUPS: dict[TopicSpec, tuple[str, ...]] = {
    NUMBERS_LIFECYCLE: ("action-config", "number-masking"),
    MASKING_REQUESTS: ("number-masking",),
    CALLS_STATUS: ("number-masking",),
}
# Group-less views (compacted topics replayed on start): bad records skipped and counted.
VIEWS: dict[TopicSpec, tuple[str, ...]] = {
    ACCOUNTS: ("number-inventory", "action-config", "number-masking"),
    VOICE_ACTIONS: ("number-inventory", "call-dispatch"),
    VOICE_ROUTES: ("call-dispatch",),
    MASKING_CONFIGS: ("action-config",),
}


def _hostile(topic: str) -> list[bytes]:
    valid, decode, timestamps = VALID[topic]
    strategy = encoded(broken(valid(), timestamps)).filter(invalid_for(decode))
    return draw(strategy, PER_TOPIC)


@pytest.fixture
async def producer(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all", max_request_size=2**20)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def client(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=endpoints.base_url, timeout=10) as c:
        yield c


async def _publish(producer: AIOKafkaProducer, topic: str, records: list[bytes]) -> list[str]:
    keys = [unique("hostile") for _ in records]
    for key, raw in zip(keys, records, strict=True):
        await producer.send_and_wait(topic, raw, key=key.encode())
    return keys


async def _all_healthy(client: httpx.AsyncClient) -> None:
    for service in SERVICES:
        for probe in ("livez", "readyz"):
            reply = await client.get(f"/_services/{service}/{probe}")
            assert reply.status_code == 200, (service, probe, reply.text)


@pytest.mark.parametrize("topic", list(GROUPS), ids=lambda t: t.name)
async def test_consumer_groups_dead_letter_every_hostile_record_with_a_reason(
    topic: TopicSpec,
    endpoints: Endpoints,
    producer: AIOKafkaProducer,
    client: httpx.AsyncClient,
) -> None:
    watcher = TopicWatcher(endpoints.kafka, [topic.dlq.name])
    await watcher.start(producer)
    try:
        keys = await _publish(producer, topic.name, _hostile(topic.name))
        dead = watcher.records[topic.dlq.name]

        def by_service(key: str) -> dict[str, str]:
            return {
                h[FAILED_BY].decode(): h.get(REASON, b"").decode() for h, _ in dead.get(key, [])
            }

        async def all_dead_lettered() -> bool:
            return all(set(by_service(k)) >= set(GROUPS[topic]) for k in keys)

        await eventually(
            all_dead_lettered, timeout=120, interval=0.5, what=f"{topic.name} dead-lettered"
        )
    finally:
        await watcher.stop()
    unexplained = [k for k in keys if not all(by_service(k).values())]
    assert unexplained == [], "dead-lettered without a reason"
    await _all_healthy(client)


def _skipped(samples: Any, service: str, topic: TopicSpec) -> float:
    return value(samples, "callplane_view_records_skipped_total", service=service, topic=topic.name)


@pytest.mark.parametrize("topic", list(VIEWS), ids=lambda t: t.name)
async def test_views_skip_and_count_every_hostile_record_and_keep_following(
    topic: TopicSpec, producer: AIOKafkaProducer, client: httpx.AsyncClient
) -> None:
    before = {s: _skipped(await scrape(client, s), s, topic) for s in VIEWS[topic]}
    records = _hostile(topic.name)
    keys = await _publish(producer, topic.name, records)

    async def all_skipped() -> dict[str, float] | None:
        counts = {s: _skipped(await scrape(client, s), s, topic) - before[s] for s in VIEWS[topic]}
        return counts if all(n >= len(records) for n in counts.values()) else None

    counts = await eventually(
        all_skipped, timeout=120, interval=0.5, what=f"{topic.name} records skipped"
    )
    assert counts == dict.fromkeys(VIEWS[topic], float(len(records)))
    await _all_healthy(client)
    # Compaction keeps the last record per key: leave tombstones, not garbage, for the next
    # replay (the views ignore tombstones of keys they never held).
    for key in keys:
        await producer.send_and_wait(topic.name, None, key=key.encode())
