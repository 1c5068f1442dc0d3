"""In-memory NumberStore and HistoryStore for action-config's voice use cases."""

from __future__ import annotations

import copy
from typing import Any

from action_config.domain.voice_setup import TargetRef

Document = dict[str, Any]


class FakeNumberStore:
    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}
        self.outbox: list[Document] = []
        self.published: list[str] = []

    async def get(self, number_key: str) -> Document | None:
        found = self.docs.get(number_key)
        return copy.deepcopy(found) if found else None

    async def compare_and_set(
        self,
        number_key: str,
        expected_version: int | None,
        fields: Document,
        outbox_entries: list[Document],
    ) -> bool:
        current = self.docs.get(number_key)
        if (current["version"] if current else None) != expected_version:
            return False
        self.docs[number_key] = {**(current or {"_id": number_key}), **copy.deepcopy(fields)}
        self.outbox += outbox_entries
        return True

    async def publish(self, number_key: str) -> None:
        self.published.append(number_key)


class FakeHistoryStore:
    def __init__(self) -> None:
        self.entries: dict[str, Document] = {}

    async def record(self, entry: Document) -> None:
        self.entries.setdefault(entry["_id"], copy.deepcopy(entry))

    async def page(
        self, number_key: str, account_id: str, skip: int, limit: int
    ) -> tuple[list[Document], int]:
        found = sorted(
            (
                e
                for e in self.entries.values()
                if e["numberKey"] == number_key and e["accountId"] == account_id
            ),
            key=lambda e: -e["version"],
        )
        return found[skip : skip + limit], len(found)


class AnyTarget:
    async def require(self, account_id: str, ref: TargetRef | None) -> None:  # noqa: ARG002
        return None
