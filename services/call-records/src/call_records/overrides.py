"""Per-account price overrides, set by operators; an override entry that matches a destination
wins over the default price list (see `domain.rating.choose_price`)."""

from __future__ import annotations

from call_records.domain.rating import PriceList
from call_records.records import RecordStore
from callplane_shared.events import utc_now


class PriceOverrides:
    def __init__(self, store: RecordStore) -> None:
        self._collection = store.overrides

    async def get(self, account_id: str) -> PriceList | None:
        doc = await self._collection.find_one({"_id": account_id})
        if doc is None:
            return None
        return PriceList.model_validate(doc["priceList"])

    async def put(self, account_id: str, prices: PriceList) -> None:
        await self._collection.replace_one(
            {"_id": account_id},
            {"priceList": prices.model_dump(mode="json", by_alias=True), "updatedAt": utc_now()},
            upsert=True,
        )

    async def delete(self, account_id: str) -> bool:
        result = await self._collection.delete_one({"_id": account_id})
        return result.deleted_count == 1
