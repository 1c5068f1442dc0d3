"""Status-report delivery against the real MongoDB-wire server and a customer on loopback, run
in-process so attempts and concurrency can be set small: a slow statusUrl holds only its own
reports, and a report that keeps failing (credentials that no longer decrypt, the case that used
to be re-claimed forever) ends as a dead letter with its reason after the counted attempts."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from callplane_shared.mongo import Document
from callplane_shared.webhooks import AddressPolicy, SenderLimits, WebhookSender
from number_masking.crypto import CredentialCipher
from number_masking.reports import DEAD_LETTER, StatusDelivery
from number_masking.store import Store
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer, answer, slow
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(endpoints: Endpoints) -> AsyncIterator[Store]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(endpoints.mongodb_uri, tz_aware=True)
    database = client[unique("nm_delivery").replace("-", "_")]
    # Delivery never publishes: an unconnected broker is enough for the Store's signature.
    store = Store(database, KafkaBroker(), CredentialCipher(os.urandom(32)))
    await store.create_indexes()
    yield store
    await client.drop_database(database.name)
    await client.close()


@pytest.fixture
async def reports_sender() -> AsyncIterator[WebhookSender]:
    sender = WebhookSender(
        AddressPolicy.parse("127.0.0.1"),
        user_agent="test/1",
        limits=SenderLimits(per_customer=2),
    )
    yield sender
    await sender.aclose()


def delivery(store: Store, sender: WebhookSender, **overrides: Any) -> StatusDelivery:
    options: dict[str, Any] = {
        "connect_timeout": 0.5,
        "budget": 2.0,
        "max_attempts": 2,
        "backoff_seconds": 0.05,
        "poll_seconds": 0.05,
        "concurrency": 8,
        **overrides,
    }
    return StatusDelivery(store, sender, **options)


async def add_config(store: Store, account_id: str, status_url: str) -> str:
    key = unique("cfg")
    now = datetime.now(UTC)
    await store.configs.insert_one(
        {
            "_id": key,
            "accountId": account_id,
            "name": key.replace("-", " "),
            "callbackUrl": "http://127.0.0.1:9/cb",
            "statusUrl": status_url,
            "insertDateTime": now,
            "updateDateTime": now,
        }
    )
    return key


async def add_report(store: Store, account_id: str, config_key: str) -> str:
    call_id = unique("call")
    now = datetime.now(UTC)
    await store.reports.insert_one(
        {
            "_id": call_id,
            "accountId": account_id,
            "configKey": config_key,
            "body": {"correlationId": call_id, "status": "answered"},
            "state": "pending",
            "attempts": 0,
            "nextAttemptAt": now,
            "createdAt": now,
        }
    )
    return call_id


async def state_of(store: Store, call_id: str, state: str) -> Document:
    async def probe() -> Document | None:
        doc = await store.reports.find_one({"_id": call_id})
        return doc if doc is not None and doc["state"] == state else None

    return await eventually(probe, timeout=15, interval=0.05, what=f"{call_id} {state}")


async def test_a_slow_status_url_holds_only_its_own_reports(
    store: Store, reports_sender: WebhookSender, customer: CustomerServer
) -> None:
    slow_account, fast_account = unique("acct"), unique("acct")
    slow_key = await add_config(store, slow_account, customer.on(f"/{unique('s')}", slow(10)))
    fast_path = f"/{unique('f')}"
    fast_key = await add_config(store, fast_account, customer.on(fast_path, answer({})))
    stuck = [await add_report(store, slow_account, slow_key) for _ in range(4)]
    fast = [await add_report(store, fast_account, fast_key) for _ in range(4)]
    runner = delivery(store, reports_sender, budget=5.0)

    await runner.start()
    try:
        for call_id in fast:
            await state_of(store, call_id, "delivered")
        # Delivered while the slow customer's reports still hang (or wait for its share).
        for call_id in stuck:
            doc = await store.reports.find_one({"_id": call_id})
            assert doc is not None
            assert doc["state"] == "pending"
    finally:
        await runner.stop()
    assert len(customer.requests_to(fast_path)) == 4


async def test_a_report_that_keeps_failing_is_dead_lettered_with_its_reason(
    store: Store, reports_sender: WebhookSender, customer: CustomerServer
) -> None:
    account_id = unique("acct")
    path = f"/{unique('status')}"
    key = await add_config(store, account_id, customer.on(path, answer({})))
    # Credentials sealed under another MASKING_CREDENTIALS_KEY: they never decrypt here.
    other = CredentialCipher(os.urandom(32))
    await store.credentials.insert_one(
        {"_id": account_id, "apiId": "app", "keyCiphertext": other.encrypt("k", account_id)}
    )
    call_id = await add_report(store, account_id, key)
    runner = delivery(store, reports_sender)

    await runner.start()
    try:
        doc = await state_of(store, call_id, DEAD_LETTER)
    finally:
        await runner.stop()

    assert doc["attempts"] == 2
    assert "do not decrypt" in doc["lastError"]
    assert customer.requests_to(path) == []  # never sent unsigned
