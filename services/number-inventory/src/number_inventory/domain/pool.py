"""Numbers of the pool: validation of what is imported and the price of a lease."""

from __future__ import annotations

import csv
import functools
import io
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

import phonenumbers

from callplane_shared import phone
from number_inventory.domain.money import MoneyError, to_minor


class Capability(StrEnum):
    SMS = "SMS"
    VOICE = "VOICE"
    MMS = "MMS"
    WHATSAPP = "WHATSAPP"
    WHATSAPP_VOICE = "WHATSAPP_VOICE"


class NumberType(StrEnum):
    VIRTUAL_LONG_NUMBER = "VIRTUAL_LONG_NUMBER"
    SHORT_CODE = "SHORT_CODE"
    SIM_HOSTING = "SIM_HOSTING"
    VIRTUAL_SIM_HOSTING = "VIRTUAL_SIM_HOSTING"
    VIRTUAL_LONG_NUMBER_CALL_TRIGGER = "VIRTUAL_LONG_NUMBER_CALL_TRIGGER"
    SHORT_CODE_USSD = "SHORT_CODE_USSD"
    WHATSAPP = "WHATSAPP"
    VIBER = "VIBER"
    VIBER_VOICE = "VIBER_VOICE"
    FACEBOOK = "FACEBOOK"
    RCS = "RCS"
    TELEGRAM = "TELEGRAM"
    KAKAO_SANGDAM = "KAKAO_SANGDAM"
    OPEN_CHANNEL = "OPEN_CHANNEL"


CSV_COLUMNS = (
    "number",
    "country",
    "type",
    "capabilities",
    "setupPrice",
    "initialMonthPrice",
    "pricePerMonth",
    "currency",
)
OPTIONAL_COLUMNS = ("network", "note")
_CAPABILITY_SEPARATORS = re.compile(r"[|;, ]+")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class InvalidNumberError(ValueError):
    pass


def new_number_key() -> str:
    """Opaque and unguessable; tells nothing about the number or the order of import."""
    return uuid.uuid4().hex.upper()


def to_e164(raw: str, country: str) -> str:
    """The number in E.164 with '+', if it is valid and in `country`."""
    try:
        return phone.to_e164(raw, country)
    except phone.InvalidPhoneNumberError as exc:
        raise InvalidNumberError(str(exc)) from exc


def international_to_e164(raw: str) -> str:
    """A number in international form whose country is whatever its calling code says."""
    try:
        return phone.to_e164(raw)
    except phone.InvalidPhoneNumberError as exc:
        raise InvalidNumberError(str(exc)) from exc


def display_number(e164: str) -> str:
    """How Infobip shows a number: international digits without '+'."""
    return e164.removeprefix("+")


@functools.cache
def country_name(country: str) -> str:
    # phonenumbers' geocoder loads every locale's place names (~4 s of import): only on the first
    # lookup, which happens when numbers are imported (the name is stored with the number).
    from phonenumbers import geocoder

    code = phonenumbers.country_code_for_region(country)
    example = phonenumbers.example_number(country)
    if example is None or code == 0:
        return country
    return geocoder.country_name_for_number(example, "en") or country


@dataclass(frozen=True)
class Price:
    """Minor units (cents) of one currency."""

    setup: int
    initial_month: int
    per_month: int
    currency: str

    @property
    def purchase_cost(self) -> int:
        """What a lease debits up front: the setup fee plus the first month."""
        return self.setup + self.initial_month


@dataclass(frozen=True)
class PoolNumber:
    number: str
    country: str
    type: NumberType
    capabilities: tuple[Capability, ...]
    price: Price
    network: str | None = None
    note: str | None = None


@dataclass
class CsvImport:
    numbers: list[PoolNumber] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_capabilities(text: str) -> tuple[Capability, ...]:
    names = [n for n in _CAPABILITY_SEPARATORS.split(text.strip().upper()) if n]
    if not names:
        raise ValueError("capabilities are empty")
    unknown = [n for n in names if n not in Capability.__members__]
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; use {[c.value for c in Capability]}")
    return tuple(dict.fromkeys(Capability(n) for n in names))


def _price(row: dict[str, str]) -> Price:
    currency = row["currency"].strip().upper()
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency {row['currency']!r} is not a 3-letter code")
    amounts = {}
    for column in ("setupPrice", "initialMonthPrice", "pricePerMonth"):
        try:
            amounts[column] = to_minor(row[column].strip() or "0")
        except MoneyError as exc:
            raise ValueError(f"{column}: {exc}") from exc
        if amounts[column] < 0:
            raise ValueError(f"{column} is negative")
    return Price(
        setup=amounts["setupPrice"],
        initial_month=amounts["initialMonthPrice"],
        per_month=amounts["pricePerMonth"],
        currency=currency,
    )


def parse_row(row: dict[str, str]) -> PoolNumber:
    country = row["country"].strip().upper()
    try:
        number_type = NumberType(row["type"].strip().upper())
    except ValueError as exc:
        raise ValueError(f"type {row['type']!r} is not one of {list(NumberType)}") from exc
    return PoolNumber(
        number=to_e164(row["number"], country),
        country=country,
        type=number_type,
        capabilities=parse_capabilities(row["capabilities"]),
        price=_price(row),
        network=(row.get("network") or "").strip() or None,
        note=(row.get("note") or "").strip() or None,
    )


def parse_csv(text: str) -> CsvImport:
    """Every valid row, and one message per invalid row naming its line; a bad row never hides
    the good ones. Duplicates within the file keep the first occurrence."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    result = CsvImport()
    if missing:
        result.errors.append(f"header lacks columns {missing}; expected {list(CSV_COLUMNS)}")
        return result
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values()):
            continue
        try:
            number = parse_row({k: v or "" for k, v in row.items() if k is not None})
        except (ValueError, KeyError) as exc:
            result.errors.append(f"line {line}: {exc}")
            continue
        if number.number in seen:
            result.errors.append(f"line {line}: {number.number} repeats an earlier line")
            continue
        seen.add(number.number)
        result.numbers.append(number)
    return result
