"""Search criteria of the pool and of an account's numbers, as MongoDB filter documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from number_inventory.domain.pool import Capability

MAX_LIMIT = 1000


class SearchError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def digits_pattern(text: str) -> str:
    """A `number` query matches any number containing these digits; '+', spaces and dashes
    are ignored so `+49 30`, `4930` and `49-30` find the same numbers."""
    digits = re.sub(r"[\s+\-().]", "", text)
    if not digits.isdigit():
        raise SearchError("number", "number may contain only digits (and '+', spaces, dashes)")
    return re.escape(digits)


@dataclass(frozen=True)
class Page:
    limit: int
    page: int

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise SearchError("limit", f"limit must be between 1 and {MAX_LIMIT}")
        if self.page < 0:
            raise SearchError("page", "page must be 0 or more")

    @property
    def skip(self) -> int:
        return self.limit * self.page


def available_filter(
    capabilities: list[Capability], country: str | None, number: str | None
) -> dict[str, Any]:
    query: dict[str, Any] = {"accountId": None}
    if capabilities:
        query["capabilities"] = {"$all": sorted({c.value for c in capabilities})}
    if country:
        if not re.fullmatch(r"[A-Za-z]{2}", country):
            raise SearchError("country", "country must be a two-letter ISO code such as DE")
        query["country"] = country.upper()
    if number:
        query["digits"] = {"$regex": digits_pattern(number)}
    return query


def owned_filter(account_id: str, number: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"accountId": account_id, "leaseState": "LEASED"}
    if number:
        query["digits"] = {"$regex": digits_pattern(number)}
    return query
