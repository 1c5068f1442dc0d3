"""Just enough of an async MongoDB collection for the call-event queue's unit tests: equality,
`$lt`/`$lte`/`$gt` filters, `$set` updates, sort and limit."""

from __future__ import annotations

import copy
import operator
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$nin": lambda value, options: value not in options,
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
}


def _matches(doc: Document, query: Document) -> bool:
    for field, wanted in query.items():
        value = doc.get(field)
        if isinstance(wanted, dict):
            if value is None or not all(_OPERATORS[op](value, v) for op, v in wanted.items()):
                return False
        elif value != wanted:
            return False
    return True


@dataclass
class Result:
    modified_count: int


class Cursor:
    def __init__(self, docs: list[Document]) -> None:
        self._docs = docs

    def sort(self, keys: list[tuple[str, int]]) -> Cursor:
        for field, direction in reversed(keys):
            self._docs.sort(key=lambda d: d[field], reverse=direction < 0)
        return self

    def limit(self, count: int) -> Cursor:
        self._docs = self._docs[:count]
        return self

    async def to_list(self) -> list[Document]:
        return copy.deepcopy(self._docs)

    async def __aiter__(self) -> AsyncIterator[Document]:
        for doc in self._docs:
            yield copy.deepcopy(doc)


class MemoryCollection:
    def __init__(self) -> None:
        self.docs: dict[Any, Document] = {}

    async def insert_one(self, doc: Document) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("duplicate _id")
        self.docs[doc["_id"]] = copy.deepcopy(doc)

    async def find_one(self, query: Document, _projection: Any = None) -> Document | None:
        found = [d for d in self.docs.values() if _matches(d, query)]
        return copy.deepcopy(found[0]) if found else None

    def find(self, query: Document, _projection: Any = None) -> Cursor:
        return Cursor([d for d in self.docs.values() if _matches(d, query)])

    async def count_documents(self, query: Document, limit: int = 0) -> int:
        count = sum(1 for d in self.docs.values() if _matches(d, query))
        return min(count, limit) if limit else count

    async def update_one(self, query: Document, update: Document) -> Result:
        for doc in self.docs.values():
            if _matches(doc, query):
                for path, value in update.get("$set", {}).items():
                    target = doc
                    *parents, leaf = path.split(".")
                    for part in parents:
                        target = target.setdefault(part, {})
                    target[leaf] = copy.deepcopy(value)
                return Result(1)
        return Result(0)

    async def delete_one(self, query: Document) -> None:
        for key, doc in list(self.docs.items()):
            if _matches(doc, query):
                del self.docs[key]
                return

    async def delete_many(self, query: Document) -> None:
        for key, doc in list(self.docs.items()):
            if _matches(doc, query):
                del self.docs[key]

    async def create_index(self, *_args: Any, **_kwargs: Any) -> None:
        return None
