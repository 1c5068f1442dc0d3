"""The real MongoDB-wire server (FerretDB locally) through pymongo's async client."""

from __future__ import annotations

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
