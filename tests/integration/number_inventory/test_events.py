"""What number-inventory publishes, read back from the real broker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from callplane_shared.events import (
    AccountUpserted,
    BalanceLow,
    NumberCallerIdChanged,
    NumberLeased,
    NumberReleased,
)
from callplane_shared.topics import ACCOUNTS, ACCOUNTS_BALANCE, NUMBERS_LIFECYCLE, TopicSpec
from tests.endpoints import Endpoints
from tests.integration.number_inventory.inventory import Inventory
from tests.support import eventually, stop_bounded

pytestmark = pytest.mark.integration


class Tail:
    """Records appended to a topic after it was opened."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self.records: list[tuple[bytes, dict[str, Any]]] = []

    async def until(
        self, match: Callable[[bytes, dict[str, Any]], bool], count: int = 1
    ) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self.records += [(r.key, json.loads(r.value)) for r in records if r.value]
            found = [v for k, v in self.records if match(k, v)]
            return found if len(found) >= count else None

        return await eventually(probe, timeout=20, what=f"{count} matching record(s)")


@asynccontextmanager
async def tail(endpoints: Endpoints, topic: TopicSpec) -> AsyncIterator[Tail]:
    consumer = AIOKafkaConsumer(bootstrap_servers=endpoints.kafka, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(partitions)
        for tp, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(tp, offset)
        yield Tail(consumer)
    finally:
        await stop_bounded(consumer.stop, what=f"{topic.name} tail")


async def test_lease_and_release_are_published_on_numbers_lifecycle(
    inventory: Inventory, endpoints: Endpoints
) -> None:
    tenant = await inventory.tenant(balance=20)
    _, (number,) = await inventory.fresh_numbers(["SMS|VOICE"])
    async with tail(endpoints, NUMBERS_LIFECYCLE) as lifecycle:
        assert (await inventory.lease(tenant, number.number_key)).status_code == 200
        path = f"/numbers/1/numbers/{number.number_key}"
        assert (await inventory.http.delete(path, headers=tenant.headers)).status_code == 204
        events = await lifecycle.until(lambda key, _: key == number.number_key.encode(), count=2)
    leased, released = (
        NumberLeased.model_validate(events[0]),
        NumberReleased.model_validate(events[1]),
    )
    for event in (leased, released):
        assert event.number == number.e164
        assert event.account_id == tenant.account_id
        assert event.capabilities == ["SMS", "VOICE"]
        assert (event.country, event.type) == ("DE", "VIRTUAL_LONG_NUMBER")
    assert leased.event_type == "NumberLeased"
    assert released.event_type == "NumberReleased"


async def test_low_balance_is_announced_once_per_crossing(
    inventory: Inventory, endpoints: Endpoints
) -> None:
    # The dev threshold is 5.00 (LOW_BALANCE_THRESHOLD in deploy/local/services.env).
    tenant = await inventory.tenant(balance=9)
    _, numbers = await inventory.fresh_numbers(["VOICE"] * 3, setup="1.00", first_month="2.00")
    mine = tenant.account_id.encode()
    async with tail(endpoints, ACCOUNTS_BALANCE) as alerts:
        assert (await inventory.lease(tenant, numbers[0].number_key)).status_code == 200  # 6
        assert (await inventory.lease(tenant, numbers[1].number_key)).status_code == 200  # 3
        assert (await inventory.lease(tenant, numbers[2].number_key)).status_code == 200  # 0
        first = await alerts.until(lambda key, _: key == mine)
        await inventory.top_up(tenant, 10)
        path = f"/numbers/1/numbers/{numbers[0].number_key}"
        assert (await inventory.http.delete(path, headers=tenant.headers)).status_code == 204
        assert (await inventory.lease(tenant, numbers[0].number_key)).status_code == 200  # 7
        assert (await inventory.lease(tenant, numbers[0].number_key)).status_code == 409
        _, (another,) = await inventory.fresh_numbers(["VOICE"], setup="1.00", first_month="2.00")
        assert (await inventory.lease(tenant, another.number_key)).status_code == 200  # 4
        both = await alerts.until(lambda key, _: key == mine, count=2)
    assert len(first) == 1
    alerts_seen = [BalanceLow.model_validate(v) for v in both]
    assert [a.balance for a in alerts_seen] == [3.0, 4.0]
    assert all(a.threshold == 5.0 and a.currency == "EUR" for a in alerts_seen)


async def test_conversations_caller_id_is_published_when_it_changes(
    inventory: Inventory, endpoints: Endpoints
) -> None:
    tenant = await inventory.tenant(balance=20)
    _, (number,) = await inventory.fresh_numbers(["VOICE"])
    assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    voice_path = f"/numbers/2/numbers/{number.number_key}/voice"

    async def set_action(action: dict[str, Any]) -> bool:
        # action-config learns of the lease from numbers.lifecycle; retry until it knows.
        body = {"action": action}
        reply = await inventory.http.put(voice_path, json=body, headers=tenant.headers)
        return reply.status_code == 200

    def caller_id(key: bytes, value: dict[str, Any]) -> bool:
        return key == number.number_key.encode() and value["eventType"] == "NumberCallerIdChanged"

    async with tail(endpoints, NUMBERS_LIFECYCLE) as lifecycle:
        conversations = {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}
        await eventually(lambda: set_action(conversations), timeout=20, what="conversations set")
        await lifecycle.until(caller_id)
        assert await set_action({**conversations, "queueId": "support"})
        await lifecycle.until(caller_id, count=2)
        assert await set_action({"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026731"})
        events = await lifecycle.until(caller_id, count=3)
    changes = [NumberCallerIdChanged.model_validate(e) for e in events]
    # No queue named: the default one (CONVERSATIONS_DEFAULT_QUEUE in deploy/local/services.env).
    assert [(c.conversations_caller_id, c.queue_id) for c in changes] == [
        (True, "default"),
        (True, "support"),
        (False, None),
    ]
    assert {(c.number, c.account_id) for c in changes} == {(number.e164, tenant.account_id)}


async def test_numbers_follow_the_accounts_default_conversations_queue(
    inventory: Inventory, endpoints: Endpoints
) -> None:
    tenant = await inventory.tenant(balance=20)
    _, (follows, own) = await inventory.fresh_numbers(["VOICE", "VOICE"])
    for number in (follows, own):
        assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    mine = {follows.number_key.encode(), own.number_key.encode()}

    async def set_action(number_key: str, action: dict[str, Any]) -> bool:
        # action-config learns of the lease from numbers.lifecycle; retry until it knows.
        path = f"/numbers/2/numbers/{number_key}/voice"
        reply = await inventory.http.put(path, json={"action": action}, headers=tenant.headers)
        return reply.status_code == 200

    def caller_id(key: bytes, value: dict[str, Any]) -> bool:
        return key in mine and value["eventType"] == "NumberCallerIdChanged"

    def account(key: bytes, _: dict[str, Any]) -> bool:
        return key == tenant.account_id.encode()

    conversations = {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}
    async with tail(endpoints, NUMBERS_LIFECYCLE) as lifecycle:
        await eventually(
            lambda: set_action(follows.number_key, conversations), timeout=20, what="set"
        )
        own_action = {**conversations, "queueId": "own-queue"}
        await eventually(lambda: set_action(own.number_key, own_action), timeout=20, what="set")
        await lifecycle.until(caller_id, count=2)
        async with tail(endpoints, ACCOUNTS) as accounts:
            put = await inventory.http.put(
                "/account/1/conversations-queue", json={"queueId": "sales"}, headers=tenant.headers
            )
            assert put.status_code == 200, put.text
            assert put.json() == {"queueId": "sales", "effectiveQueueId": "sales"}
            (published,) = await accounts.until(account)
        events = await lifecycle.until(caller_id, count=3)
        removed = await inventory.http.delete(
            "/account/1/conversations-queue", headers=tenant.headers
        )
        assert removed.status_code == 204, removed.text
        events = await lifecycle.until(caller_id, count=4)
    upserted = AccountUpserted.model_validate(published)
    assert upserted.conversations_queue_id == "sales"
    assert upserted.version >= 3  # created, a key issued, then the queue: views take it
    changes = [NumberCallerIdChanged.model_validate(e) for e in events]
    # No queue named: the platform's (CONVERSATIONS_DEFAULT_QUEUE in deploy/local/services.env).
    assert sorted((c.number_key, c.queue_id) for c in changes[:2]) == sorted(
        [(follows.number_key, "default"), (own.number_key, "own-queue")]
    )
    # The account's default moves only the number without its own queue, and back.
    assert [(c.number_key, c.queue_id) for c in changes[2:]] == [
        (follows.number_key, "sales"),
        (follows.number_key, "default"),
    ]
