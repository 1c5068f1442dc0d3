"""Rating: billing increments, connection fee, rounding up to the cent, longest prefix, and the
validation that stops a bad price list file at start."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from call_records.domain.rating import PriceEntry, PriceList, billed_seconds, choose_price, rate
from call_records.prices import PriceListError, load_price_list
from call_records.settings import DEFAULT_PRICE_LIST

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("duration", "increment", "billed"),
    [
        (65, "60/60", 120),
        (60, "60/60", 60),
        (1, "60/60", 60),
        (65, "1/1", 65),
        (65, "30/6", 66),
        (0, "60/60", 0),
    ],
)
def test_billed_seconds_follow_the_increment(duration: int, increment: str, billed: int) -> None:
    assert billed_seconds(duration, increment) == billed


def test_a_65_second_call_at_60_60_costs_two_minutes_plus_the_fee() -> None:
    entry = PriceEntry(
        prefix="41", per_minute=Decimal("0.06"), increment="60/60", connection_fee=Decimal("0.01")
    )
    rated = rate(65, entry, "EUR")
    assert (rated.amount, rated.billed_seconds) == (Decimal("0.13"), 120)


def test_fractions_of_a_cent_are_rounded_up() -> None:
    entry = PriceEntry(prefix="", per_minute=Decimal("0.0150"), increment="1/1")
    assert rate(61, entry, "EUR").amount == Decimal("0.02")  # 0.01525


def test_unanswered_legs_cost_nothing_not_even_the_fee() -> None:
    entry = PriceEntry(prefix="", per_minute=Decimal(1), connection_fee=Decimal(1))
    assert rate(0, entry, "EUR").amount == Decimal(0)


def test_longest_prefix_wins_and_overrides_come_first() -> None:
    default = PriceList(
        currency="EUR",
        prices=[
            PriceEntry(prefix="", per_minute=Decimal("0.05")),
            PriceEntry(prefix="41", per_minute=Decimal("0.06")),
            PriceEntry(prefix="4179", per_minute=Decimal("0.09")),
        ],
    )
    assert default.lookup("+41791234567") == default.prices[2]
    assert default.lookup("41441234567") == default.prices[1]
    assert default.lookup("+4930123") == default.prices[0]
    override = PriceList(currency="EUR", prices=[PriceEntry(prefix="41", per_minute=Decimal(0))])
    chosen = choose_price("+41791234567", override, default)
    assert chosen is not None
    assert chosen[0].per_minute == Decimal(0)
    fallback = choose_price("+4930123", override, default)
    assert fallback is not None
    assert fallback[0].per_minute == Decimal("0.05")


def test_the_shipped_price_list_is_valid() -> None:
    prices = load_price_list(DEFAULT_PRICE_LIST)
    assert prices.currency == "EUR"
    assert prices.lookup("+4930123") is not None


HEAD = 'currency = "EUR"\n[[prices]]\nprefix = "4"\n'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (HEAD + 'perMinute = "0.1"\nincrement = "60"\n', "increment"),
        (HEAD + 'perMinute = "-1"\n', "perMinute"),
        (HEAD + 'perMinute = "1"\nperMinuet = "2"\n', "perMinuet"),
        (HEAD + 'perMinute = "1"\n[[prices]]\nprefix = "4"\nperMinute = "2"\n', "listed twice"),
        ('currency = "EUR"\nprices = []\n', "prices"),
        ("currency = ", "price list"),
    ],
)
def test_a_bad_price_list_stops_the_start_naming_the_problem(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(text)
    with pytest.raises(PriceListError, match=says):
        load_price_list(path)
