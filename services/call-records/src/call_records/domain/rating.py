"""Rating: what a finished leg costs, from a price list. Pure and deterministic.

A leg is billed by its answered duration: the first interval of the billing increment is charged
in full as soon as the call is answered, then every started next interval (60/60: 65 s bills
120 s; 1/1: 65 s bills 65 s). Price = connection fee + billed minutes times the per-minute price,
rounded *up* to whole cents, because the ledger holds whole cents and a platform never
under-charges by rounding. A leg that was never answered costs nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from pydantic import ConfigDict, Field, field_validator, model_validator

from callplane_shared.wire import WireModel

_INCREMENT = re.compile(r"^([1-9][0-9]{0,3})/([1-9][0-9]{0,3})$")
_CENT = Decimal("0.01")
MAX_ENTRIES = 10_000
Price = Decimal


def parse_increment(increment: str) -> tuple[int, int]:
    match = _INCREMENT.match(increment)
    if match is None:
        raise ValueError(f"billing increment {increment!r} is not '<first>/<next>' seconds")
    return int(match.group(1)), int(match.group(2))


class PriceEntry(WireModel):
    # A misspelt key in a price file must fail the start, not be ignored.
    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(
        pattern=r"^[0-9]{0,15}$",
        description="Destination prefix in E.164 digits (no '+'); '' matches every destination.",
        examples=["4179"],
    )
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", examples=["CH"])
    per_minute: Price = Field(ge=0, le=1000, decimal_places=6, examples=["0.0600"])
    increment: str = Field(default="60/60", examples=["60/60", "1/1"])
    connection_fee: Price = Field(default=Decimal(0), ge=0, le=1000, decimal_places=6)

    @field_validator("increment")
    @classmethod
    def _increment(cls, value: str) -> str:
        parse_increment(value)
        return value


class PriceList(WireModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    prices: list[PriceEntry] = Field(min_length=1, max_length=MAX_ENTRIES)

    @model_validator(mode="after")
    def _unique_prefixes(self) -> PriceList:
        seen: set[str] = set()
        for entry in self.prices:
            if entry.prefix in seen:
                raise ValueError(f"prefix {entry.prefix!r} is listed twice")
            seen.add(entry.prefix)
        return self

    def lookup(self, destination: str) -> PriceEntry | None:
        """The entry with the longest prefix of `destination` (E.164, '+' optional)."""
        digits = destination.strip().removeprefix("+")
        best: PriceEntry | None = None
        for entry in self.prices:
            if digits.startswith(entry.prefix) and (
                best is None or len(entry.prefix) > len(best.prefix)
            ):
                best = entry
        return best


@dataclass(frozen=True, slots=True)
class Rated:
    amount: Decimal
    currency: str
    entry: PriceEntry
    duration_seconds: int
    billed_seconds: int


def billed_seconds(duration: int, increment: str) -> int:
    if duration <= 0:
        return 0
    first, step = parse_increment(increment)
    if duration <= first:
        return first
    return first + math.ceil((duration - first) / step) * step


def rate(duration: int, entry: PriceEntry, currency: str) -> Rated:
    billed = billed_seconds(duration, entry.increment)
    amount = Decimal(0)
    if billed:
        amount = entry.connection_fee + entry.per_minute * Decimal(billed) / Decimal(60)
    return Rated(
        amount=amount.quantize(_CENT, rounding=ROUND_CEILING),
        currency=currency,
        entry=entry,
        duration_seconds=duration,
        billed_seconds=billed,
    )


def choose_price(
    destination: str, override: PriceList | None, default: PriceList
) -> tuple[PriceEntry, str] | None:
    """An account's override entries win over the default list when one matches at all."""
    for prices in (override, default):
        if prices is None:
            continue
        found = prices.lookup(destination)
        if found is not None:
            return found, prices.currency
    return None
