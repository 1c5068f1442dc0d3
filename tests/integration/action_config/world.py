"""What action-config tests need from the world around it, published to the real broker: accounts,
leased numbers and masking configs, plus a reader of `voice.actions`."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import phonenumbers
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from callplane_shared.auth import generate_api_key, hash_api_key
from callplane_shared.events import (
    AccountUpserted,
    MaskingConfigUpserted,
    NumberLeased,
    NumberReleased,
)
from callplane_shared.topics import ACCOUNTS, MASKING_CONFIGS, NUMBERS_LIFECYCLE, VOICE_ACTIONS
from callplane_shared.wire import WireModel
from tests.support import eventually, stop_bounded, unique

VOICE = ["SMS", "VOICE"]


def fresh_number() -> str:
    """A valid Swiss mobile number no other test uses (random, checked by phonenumbers)."""
    while True:
        candidate = f"+417{random.choice('6789')}{random.randrange(10**7):07d}"  # noqa: S311
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate


@dataclass
class Tenant:
    account_id: str
    api_key: str
    http: httpx.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"App {self.api_key}"}

    async def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return await self.http.request(method, path, headers=headers, **kw)


@dataclass
class Leased:
    number_key: str
    number: str
    account_id: str
    capabilities: list[str] = field(default_factory=lambda: list(VOICE))

    @property
    def voice(self) -> str:
        return f"/numbers/2/numbers/{self.number_key}/voice"


class World:
    def __init__(self, kafka: str, http: httpx.AsyncClient, producer: AIOKafkaProducer) -> None:
        self.kafka = kafka
        self.http = http
        self.producer = producer

    async def publish(self, topic: str, key: str, event: WireModel | None) -> None:
        value = None if event is None else event.model_dump_json(by_alias=True).encode()
        await self.producer.send_and_wait(topic, value, key=key.encode())

    async def tenant(self) -> Tenant:
        account_id = unique("acc")
        key = generate_api_key()
        account = AccountUpserted(
            account_id=account_id,
            name=account_id,
            currency="EUR",
            api_key_hashes=[hash_api_key(key)],
        )
        await self.publish(ACCOUNTS.name, account_id, account)
        tenant = Tenant(account_id, key, self.http)

        async def known() -> bool:
            return (await tenant.call("GET", "/calls/1/configurations")).status_code == 200

        await eventually(known, timeout=20, what=f"action-config knows {account_id}")
        return tenant

    async def lease(self, tenant: Tenant, capabilities: list[str] | None = None) -> Leased:
        leased = Leased(
            number_key=uuid.uuid4().hex.upper(),
            number=fresh_number(),
            account_id=tenant.account_id,
            capabilities=capabilities or list(VOICE),
        )
        await self.publish(
            NUMBERS_LIFECYCLE.name, leased.number_key, self._event(leased, lease=True)
        )

        async def known() -> bool:
            reply = await tenant.call("GET", leased.voice)
            return reply.status_code == 404 and "No Action" in reply.text

        await eventually(known, timeout=20, what=f"action-config knows {leased.number}")
        return leased

    async def release(self, leased: Leased) -> None:
        await self.publish(
            NUMBERS_LIFECYCLE.name, leased.number_key, self._event(leased, lease=False)
        )

    @staticmethod
    def _event(leased: Leased, *, lease: bool) -> NumberLeased | NumberReleased:
        kind = NumberLeased if lease else NumberReleased
        return kind(
            number_key=leased.number_key,
            number=leased.number,
            account_id=leased.account_id,
            capabilities=leased.capabilities,
            type="VIRTUAL_LONG_NUMBER",
            country="CH",
        )

    async def masking_config(self, tenant: Tenant) -> str:
        key = unique("mask")
        config = MaskingConfigUpserted(key=key, account_id=tenant.account_id, name=key)
        await self.publish(MASKING_CONFIGS.name, key, config)
        return key

    async def voice_records(self, number: str) -> list[dict[str, Any] | None]:
        """Every `voice.actions` record of `number`, in order (None for a tombstone)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.kafka, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(VOICE_ACTIONS.name, p) for p in range(VOICE_ACTIONS.partitions)
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            found: list[dict[str, Any] | None] = []
            pending = {tp for tp, end in ends.items() if end > 0}
            deadline = time.monotonic() + 30
            while pending:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"voice.actions not read to its end within 30 s: {pending}"
                    )
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    found.extend(
                        None if r.value is None else _json(r.value)
                        for r in records
                        if r.key == number.encode()
                    )
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
            return found
        finally:
            await stop_bounded(consumer.stop, what="voice.actions reader")


def _json(value: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(value)
    return parsed
