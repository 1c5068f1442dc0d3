from __future__ import annotations

from decimal import Decimal

import pytest

from number_inventory.domain.money import (
    MoneyError,
    back_above,
    crossed_below,
    format_units,
    to_minor,
    to_units,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("amount", "minor"),
    [("0", 0), ("2.5", 250), (Decimal("10.05"), 1005), (3, 300), ("0.01", 1)],
)
def test_amounts_become_whole_cents(amount: str | Decimal | int, minor: int) -> None:
    assert to_minor(amount) == minor


@pytest.mark.parametrize("amount", ["0.001", "abc", "NaN", "1e20"])
def test_fractions_of_a_cent_and_garbage_are_refused(amount: str) -> None:
    with pytest.raises(MoneyError):
        to_minor(amount)


def test_cents_render_as_units() -> None:
    assert to_units(1005) == 10.05
    assert format_units(250, "EUR") == "2.50 EUR"


def test_low_balance_crossing_is_detected_only_when_passing_the_threshold() -> None:
    assert crossed_below(before=600, after=400, threshold=500)
    assert crossed_below(before=500, after=499, threshold=500)
    assert not crossed_below(before=400, after=300, threshold=500)  # already below
    assert not crossed_below(before=900, after=500, threshold=500)  # lands on it
    assert back_above(500, 500)
    assert not back_above(499, 500)
