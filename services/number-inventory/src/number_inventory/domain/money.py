"""Money as integer minor units.

Balances and prices are stored as whole cents so that MongoDB `$inc` and `$gte` work exactly on
any MongoDB-wire server (FerretDB has no Decimal128) and no float rounding ever creeps into a
balance. The API shows plain JSON numbers in currency units, as Infobip does.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MINOR_PER_UNIT = 100
MAX_AMOUNT_MINOR = 100_000_000 * MINOR_PER_UNIT


class MoneyError(ValueError):
    pass


def to_minor(amount: Decimal | float | str) -> int:
    """Currency units → cents; refuses fractions of a cent rather than rounding them away."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise MoneyError(f"{amount!r} is not an amount") from exc
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not an amount")
    minor = value * MINOR_PER_UNIT
    if minor != minor.to_integral_value():
        raise MoneyError(f"{amount} has more than two decimal places")
    if abs(minor) > MAX_AMOUNT_MINOR:
        raise MoneyError(f"{amount} is too large")
    return int(minor)


def to_units(minor: int) -> float:
    """Cents → currency units as a JSON number (two decimals are exact enough for display)."""
    return float(Decimal(minor) / MINOR_PER_UNIT)


def format_units(minor: int, currency: str) -> str:
    return f"{Decimal(minor) / MINOR_PER_UNIT:.2f} {currency}"


def crossed_below(before: int, after: int, threshold: int) -> bool:
    """A movement took the balance from at/above the threshold to below it."""
    return before >= threshold > after


def back_above(balance: int, threshold: int) -> bool:
    """The balance is at/above the threshold again, so the next crossing alerts again."""
    return balance >= threshold
