"""Monthly rental on the real MongoDB-wire server and Kafka, with periods of a second so the test
need not wait a month: each period charged once by replicas racing and by a restarted pass
(invariant 9), events on numbers.lifecycle, OVERDUE then released after the grace period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from callplane_shared.topics import NUMBERS_LIFECYCLE
from number_inventory.domain.pool import Capability, NumberType, PoolNumber, Price, new_number_key
from number_inventory.domain.rental import RentalTerms, rental_reference
from number_inventory.ledger import Ledger
from number_inventory.ledger_entries import MongoLedgerEntries
from number_inventory.rental import Rental
from number_inventory.rental_numbers import MongoRentalNumbers
from number_inventory.store import Collections, now, number_document
from tests.endpoints import Endpoints
from tests.integration.number_inventory.inventory import Inventory
from tests.integration.number_inventory.test_events import tail
from tests.support import unique

pytestmark = pytest.mark.integration

PERIOD = timedelta(seconds=1)
GRACE = timedelta(seconds=3)


@pytest.fixture
async def collections(endpoints: Endpoints) -> AsyncIterator[Collections]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(endpoints.mongodb_uri, tz_aware=True)
    database = unique("it_rental").replace("-", "_")
    try:
        collections = Collections.of(client, database)
        await collections.ensure_indexes()
        yield collections
    finally:
        await client.drop_database(database)
        await client.close()


@pytest.fixture
async def broker(endpoints: Endpoints) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(endpoints.kafka)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def _leased(collections: Collections, account_id: str, leased_at: datetime) -> Document:
    """A number leased by `account_id` at `leased_at` (its first month paid at purchase)."""
    key = new_number_key()
    number = PoolNumber(
        number=f"+4179{int(key[:7], 16) % 10_000_000:07d}",
        country="CH",
        type=NumberType.VIRTUAL_LONG_NUMBER,
        capabilities=(Capability.VOICE,),
        price=Price(setup=100, initial_month=200, per_month=200, currency="EUR"),
    )
    doc = number_document(key, number) | {
        "accountId": account_id,
        "leaseState": "LEASED",
        "claimId": "claim-1",
        "leasedAt": leased_at,
    }
    await collections.numbers.insert_one(doc)
    await collections.claims.insert_one(
        {"_id": key, "accountId": account_id, "claimId": "claim-1", "at": leased_at}
    )
    stored = await collections.numbers.find_one({"_id": key})
    assert stored is not None
    return stored


def _rental(collections: Collections, broker: KafkaBroker, clock: Clock, name: str) -> Rental:
    return Rental(
        MongoRentalNumbers(collections.numbers, collections.claims),
        Ledger(MongoLedgerEntries(collections.ledger, broker), 0),
        RentalTerms(grace=GRACE, period=PERIOD),
        clock=clock,
        supervisor=Supervisor(name),
    )


async def _entries(collections: Collections, account_id: str) -> list[Document]:
    found = collections.ledger.find({"accountId": account_id}).sort("seq", 1)
    return [e async for e in found][1:]


async def test_replicas_and_a_restart_charge_each_period_once_invariant_9(
    collections: Collections, broker: KafkaBroker, endpoints: Endpoints
) -> None:
    account_id = unique("acc-rent")
    ledger = Ledger(MongoLedgerEntries(collections.ledger, broker), 0)
    await ledger.open(account_id, "EUR", 10_000)
    number = await _leased(collections, account_id, now())
    clock = Clock(number["leasedAt"] + 2 * PERIOD + PERIOD / 2)  # periods 1 and 2 started
    async with tail(endpoints, NUMBERS_LIFECYCLE) as lifecycle:
        replicas = [_rental(collections, broker, clock, f"replica-{i}") for i in range(3)]
        await asyncio.gather(*(r.collect_once() for r in replicas))
        await _rental(collections, broker, clock, "restarted").collect_once()
        charged = await lifecycle.until(
            lambda key, value: (
                key == number["_id"].encode() and value["eventType"] == "NumberRentalCharged"
            ),
            count=2,
        )
    entries = await _entries(collections, account_id)
    assert [e["movement"] for e in entries] == ["NUMBER_RENTAL", "NUMBER_RENTAL"]
    assert [e["reference"] for e in entries] == [
        rental_reference(number["_id"], number["leasedAt"] + PERIOD),
        rental_reference(number["_id"], number["leasedAt"] + 2 * PERIOD),
    ]
    assert await ledger.balance(account_id) == 10_000 - 2 * 200
    assert sorted(e["reference"] for e in charged) == [e["reference"] for e in entries]
    stored = await collections.numbers.find_one({"_id": number["_id"]})
    assert stored is not None
    assert stored["rental"]["status"] == "CURRENT"
    assert stored["rental"]["paidPeriods"] == 3


async def test_an_unpaid_number_is_overdue_then_released_after_the_grace_period(
    collections: Collections, broker: KafkaBroker, endpoints: Endpoints
) -> None:
    account_id = unique("acc-unpaid")
    ledger = Ledger(MongoLedgerEntries(collections.ledger, broker), 0)
    await ledger.open(account_id, "EUR", 150)  # less than one month (2.00)
    number = await _leased(collections, account_id, now())
    clock = Clock(number["leasedAt"] + PERIOD)
    rental = _rental(collections, broker, clock, "rental")
    async with tail(endpoints, NUMBERS_LIFECYCLE) as lifecycle:
        await rental.collect_once()
        overdue = await collections.numbers.find_one({"_id": number["_id"]})
        assert overdue is not None
        assert overdue["leaseState"] == "LEASED"
        assert overdue["rental"]["status"] == "OVERDUE"
        clock.at = number["leasedAt"] + PERIOD + GRACE
        await asyncio.gather(rental.collect_once(), rental.collect_once())
        events = await lifecycle.until(lambda key, _: key == number["_id"].encode(), count=2)
    assert [e["eventType"] for e in events] == ["NumberRentalOverdue", "NumberReleased"]
    assert events[1]["reason"] == "RENTAL_UNPAID"
    assert [e["movement"] for e in await _entries(collections, account_id)] == [
        "RENTAL_OVERDUE",
        "RENTAL_RELEASE",
    ]
    assert await ledger.balance(account_id) == 150
    freed = await collections.numbers.find_one({"_id": number["_id"]})
    assert freed is not None
    assert (freed["leaseState"], freed["accountId"]) == (None, None)
    assert await collections.claims.find_one({"_id": number["_id"]}) is None


async def test_a_leased_number_shows_its_rental_through_the_api(inventory: Inventory) -> None:
    tenant = await inventory.tenant(balance=20)
    _, (number,) = await inventory.fresh_numbers(["VOICE"])
    assert (await inventory.lease(tenant, number.number_key)).status_code == 200
    path = f"/numbers/1/numbers/{number.number_key}"
    shown = (await inventory.http.get(path, headers=tenant.headers)).json()
    # The first month is paid at purchase: current, whether or not a pass has seen it yet.
    assert shown["rentalStatus"] == "CURRENT"
    assert shown["rentalReleaseAt"] is None
