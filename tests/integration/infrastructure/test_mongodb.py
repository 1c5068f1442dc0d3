"""The real MongoDB-wire server (FerretDB locally) through pymongo's async client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.endpoints import Endpoints
from tests.support import unique

pytestmark = pytest.mark.integration


async def test_insert_then_find_with_the_async_client(endpoints: Endpoints) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
    try:
        collection = client["callplane_tests"][unique("it-collection")]
        doc_id = unique("doc")
        await collection.insert_one({"_id": doc_id, "number": "+41793026731", "version": 1})

        found = await collection.find_one({"_id": doc_id})
        missing = await collection.find_one({"_id": unique("absent")})
        updated = await collection.find_one_and_update(
            {"_id": doc_id, "version": 1}, {"$inc": {"version": 1}}, return_document=True
        )
        await collection.drop()
    finally:
        await client.close()

    assert found == {"_id": doc_id, "number": "+41793026731", "version": 1}
    assert missing is None
    assert updated is not None
    assert updated["version"] == 2


async def test_a_query_by_account_is_answered_from_the_accounts_index(endpoints: Endpoints) -> None:
    """The local FerretDB pushes string equality on `accountId` down to SQLite with the index's
    own expression (the `FERRETDB_PUSHDOWN_*` patches): without it, every customer's list of
    numbers, ledger and call history scanned the whole collection."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
    name = unique("it-pushdown")
    try:
        db = client["callplane_tests"]
        collection = db[name]
        await collection.create_index([("accountId", 1), ("createdAt", 1)], name="account_created")
        await collection.insert_many(
            [{"accountId": f"acc-{i % 10}", "createdAt": i} for i in range(200)]
        )
        plan = await db.command("explain", {"find": name, "filter": {"accountId": "acc-3"}})
        found = [d["createdAt"] async for d in collection.find({"accountId": "acc-3"})]
        await collection.drop()
    finally:
        await client.close()

    assert "account_created" in json.dumps(plan, default=str)  # FerretDB: "USING INDEX ..."
    assert sorted(found) == list(range(3, 200, 10))


async def test_equality_still_matches_array_members_and_every_other_condition(
    endpoints: Endpoints,
) -> None:
    """What the pushdown must not change: `{"tags": "x"}` matches an array holding "x" (a field
    not named as scalar is not pushed down), and the rest of a filter still applies after the
    pushed-down part."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(endpoints.mongodb_uri)
    try:
        collection = client["callplane_tests"][unique("it-pushdown")]
        await collection.insert_many(
            [
                {"_id": "a", "accountId": "acc-1", "state": "PENDING", "tags": ["x", "y"]},
                {"_id": "b", "accountId": "acc-1", "state": "DONE", "tags": "x"},
                {"_id": "c", "accountId": "acc-2", "state": "PENDING", "tags": ["z"]},
            ]
        )
        tagged = {d["_id"] async for d in collection.find({"tags": "x"})}
        pending = {
            d["_id"] async for d in collection.find({"accountId": "acc-1", "state": "PENDING"})
        }
        ranged = {
            d["_id"] async for d in collection.find({"accountId": "acc-1", "tags": {"$in": ["y"]}})
        }
        by_id = await collection.find_one({"_id": "c", "accountId": "acc-1"})
        await collection.drop()
    finally:
        await client.close()

    assert tagged == {"a", "b"}
    assert pending == {"a"}
    assert ranged == {"a"}
    assert by_id is None


async def test_concurrent_updates_of_one_document_are_never_lost(endpoints: Endpoints) -> None:
    """MongoDB applies each update to a document atomically; FerretDB 1.24 reads, changes and
    writes back in separate steps, so two updates at once could both read the old document and
    the second write undid the first (the `FERRETDB_UPDATE_LOCK` patches). Each of 40 concurrent
    updates, plain and find-and-modify, must still be there at the end."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        endpoints.mongodb_uri, maxPoolSize=20
    )
    try:
        collection = client["callplane_tests"][unique("it-lost-update")]
        await collection.insert_one({"_id": "doc", "n": 0, "seen": []})

        async def plain(i: int) -> None:
            await collection.update_one({"_id": "doc"}, {"$inc": {"n": 1}, "$push": {"seen": i}})

        async def find_and_modify(i: int) -> None:
            await collection.find_one_and_update(
                {"_id": "doc"}, {"$inc": {"n": 1}, "$push": {"seen": i}}
            )

        await asyncio.gather(*(plain(i) if i % 2 else find_and_modify(i) for i in range(40)))
        doc = await collection.find_one({"_id": "doc"})
        await collection.drop()
    finally:
        await client.close()

    assert doc is not None
    assert doc["n"] == 40
    assert sorted(doc["seen"]) == list(range(40))
