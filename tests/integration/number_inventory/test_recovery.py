"""Purchases a crash interrupted are finished or undone from the ledger, on the real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from number_inventory.domain.pool import Capability, NumberType, PoolNumber, Price, new_number_key
from number_inventory.ledger import Movement
from number_inventory.recovery import StaleClaimSweeper
from number_inventory.store import Collections, now, number_document
from tests.endpoints import Endpoints
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
async def collections(endpoints: Endpoints) -> AsyncIterator[Collections]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(endpoints.mongodb_uri, tz_aware=True)
    database = unique("it_inventory").replace("-", "_")
    try:
        yield Collections.of(client, database)
    finally:
        await client.drop_database(database)
        await client.close()


async def _interrupted_purchase(
    collections: Collections, e164: str, account_id: str, *, paid: bool
) -> str:
    key = new_number_key()
    number = PoolNumber(
        number=e164,
        country="CH",
        type=NumberType.VIRTUAL_LONG_NUMBER,
        capabilities=(Capability.VOICE,),
        price=Price(setup=100, initial_month=200, per_month=200, currency="EUR"),
    )
    claimed_at = now() - timedelta(minutes=10)
    doc = number_document(key, number) | {
        "accountId": account_id,
        "leaseState": "PENDING",
        "claimId": "claim-1",
    }
    await collections.numbers.insert_one(doc)
    await collections.claims.insert_one(
        {"_id": key, "accountId": account_id, "claimId": "claim-1", "at": claimed_at}
    )
    if paid:
        await collections.ledger.insert_one(
            {
                "_id": f"{account_id}:000000000001",
                "accountId": account_id,
                "seq": 1,
                "movement": Movement.NUMBER_PURCHASE.value,
                "amount": -300,
                "balanceAfter": 700,
                "currency": "EUR",
                "reference": key,
                "createdAt": claimed_at + timedelta(seconds=1),
            }
        )
    return key


async def test_paid_purchases_are_finished_and_unpaid_ones_freed(
    collections: Collections, endpoints: Endpoints
) -> None:
    payer = unique("acc-paid")
    paid = await _interrupted_purchase(collections, "+41793026731", payer, paid=True)
    unpaid = await _interrupted_purchase(collections, "+41793026732", unique("acc"), paid=False)
    broker = KafkaBroker(endpoints.kafka)
    await broker.start()
    try:
        sweeper = StaleClaimSweeper(
            collections,
            broker,
            supervisor=Supervisor("test"),
            stale_after=timedelta(minutes=1),
        )
        assert await sweeper.sweep_once() == 2
        assert await sweeper.sweep_once() == 0  # a finished lease is healthy
    finally:
        await broker.stop()

    finished = await collections.numbers.find_one({"_id": paid})
    assert finished is not None
    assert (finished["accountId"], finished["leaseState"]) == (payer, "LEASED")
    assert finished["_outbox"] == []  # NumberLeased went out
    assert await collections.claims.find_one({"_id": paid}) is not None

    freed = await collections.numbers.find_one({"_id": unpaid})
    assert freed is not None
    assert (freed["accountId"], freed["leaseState"]) == (None, None)
    assert await collections.claims.find_one({"_id": unpaid}) is None
