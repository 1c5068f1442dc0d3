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
from number_inventory.leasing import purchase_reference
from number_inventory.ledger import Ledger, Movement, Refused
from number_inventory.ledger_entries import MongoLedgerEntries
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
    collections: Collections,
    ledger: Ledger,
    e164: str,
    account_id: str,
    *,
    paid: bool,
    mirrored: bool = True,
) -> str:
    """A purchase that died after claiming (and maybe after paying); `mirrored` False: the
    number's document never got the claim (the process died in between)."""
    key = new_number_key()
    number = PoolNumber(
        number=e164,
        country="CH",
        type=NumberType.VIRTUAL_LONG_NUMBER,
        capabilities=(Capability.VOICE,),
        price=Price(setup=100, initial_month=200, per_month=200, currency="EUR"),
    )
    claimed_at = now() - timedelta(minutes=10)
    doc = number_document(key, number)
    if mirrored:
        doc |= {"accountId": account_id, "leaseState": "PENDING", "claimId": "claim-1"}
    await collections.numbers.insert_one(doc)
    await collections.claims.insert_one(
        {"_id": key, "accountId": account_id, "claimId": "claim-1", "at": claimed_at}
    )
    await ledger.open(account_id, "EUR", 1000)
    if paid:
        debit = await ledger.apply(
            account_id, -300, Movement.NUMBER_PURCHASE, purchase_reference("claim-1")
        )
        assert not isinstance(debit, Refused)
    return key


async def test_paid_purchases_are_finished_unpaid_freed_and_lost_ones_refunded(
    collections: Collections, endpoints: Endpoints
) -> None:
    broker = KafkaBroker(endpoints.kafka)
    await broker.start()
    try:
        ledger = Ledger(MongoLedgerEntries(collections.ledger, broker), 0)
        payer, unpaid_owner, lost_owner = unique("acc-paid"), unique("acc"), unique("acc-lost")
        paid = await _interrupted_purchase(collections, ledger, "+41793026731", payer, paid=True)
        unpaid = await _interrupted_purchase(
            collections, ledger, "+41793026732", unpaid_owner, paid=False
        )
        lost = await _interrupted_purchase(
            collections, ledger, "+41793026733", lost_owner, paid=True, mirrored=False
        )
        sweeper = StaleClaimSweeper(
            collections,
            broker,
            ledger,
            supervisor=Supervisor("test"),
            stale_after=timedelta(minutes=1),
        )
        assert await sweeper.sweep_once() == 3
        assert await sweeper.sweep_once() == 0  # a finished lease is healthy
    finally:
        await broker.stop()

    finished = await collections.numbers.find_one({"_id": paid})
    assert finished is not None
    assert (finished["accountId"], finished["leaseState"]) == (payer, "LEASED")
    assert finished["_outbox"] == []  # NumberLeased went out
    assert await collections.claims.find_one({"_id": paid}) is not None
    assert await ledger.balance(payer) == 700

    freed = await collections.numbers.find_one({"_id": unpaid})
    assert freed is not None
    assert (freed["accountId"], freed["leaseState"]) == (None, None)
    assert await collections.claims.find_one({"_id": unpaid}) is None
    assert await ledger.balance(unpaid_owner) == 1000

    # Paid, but the number never became theirs: freed, and the money came back exactly once.
    assert await collections.claims.find_one({"_id": lost}) is None
    assert await ledger.balance(lost_owner) == 1000
    refunds = await collections.ledger.count_documents(
        {"accountId": lost_owner, "movement": Movement.PURCHASE_REFUND.value}
    )
    assert refunds == 1
