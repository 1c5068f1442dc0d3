"""The collections action-config owns (nobody else reads or writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared.mongo import Document


@dataclass(frozen=True)
class Collections:
    numbers: AsyncCollection[Document]
    """numberKey → number, owner, capabilities, current voice setup, version, last change,
    outbox (the history is in `voice_history`, so this document stays small)."""
    voice_history: AsyncCollection[Document]
    """One document per voice-action change of a number, expired after the retention."""
    routes: AsyncCollection[Document]
    calls_configurations: AsyncCollection[Document]
    ivr_scenarios: AsyncCollection[Document]
    ivr_notifications: AsyncCollection[Document]
    """IVR run events waiting to be delivered to a scenario's notifyUrl (`ivr_notifications`)."""

    @classmethod
    def of(cls, client: AsyncMongoClient[Document], database: str) -> Collections:
        db = client[database]
        return cls(
            numbers=db["action_numbers"],
            voice_history=db["action_voice_history"],
            routes=db["action_routes"],
            calls_configurations=db["action_calls_configurations"],
            ivr_scenarios=db["action_ivr_scenarios"],
            ivr_notifications=db["action_ivr_notifications"],
        )

    @property
    def with_outbox(self) -> list[AsyncCollection[Document]]:
        return [self.numbers, self.routes, self.ivr_scenarios]

    async def ensure_indexes(self) -> None:
        await self.numbers.create_index(
            [("accountId", ASCENDING), ("leased", ASCENDING)], name="owner"
        )
        await self.routes.create_index([("accountId", ASCENDING), ("order", ASCENDING)], name="acc")
        await self.ivr_scenarios.create_index([("accountId", ASCENDING)], name="account")
        await self.calls_configurations.create_index([("accountId", ASCENDING)], name="account")


def now() -> datetime:
    return datetime.now(UTC)


def without_internals(doc: Document) -> Document:
    """A stored document as its model's fields (drops `_id`, `_outbox` and bookkeeping)."""
    return {k: v for k, v in doc.items() if not k.startswith("_") and k != "deleted"}
