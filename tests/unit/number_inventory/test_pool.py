from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest

from number_inventory.domain.pool import (
    Capability,
    InvalidNumberError,
    NumberType,
    Price,
    country_name,
    display_number,
    international_to_e164,
    new_number_key,
    parse_capabilities,
    parse_csv,
    to_e164,
)

pytestmark = pytest.mark.unit

SEED = Path(__file__).resolve().parents[3] / "deploy/seed/numbers.csv"
HEADER = "number,country,type,capabilities,setupPrice,initialMonthPrice,pricePerMonth,currency\n"


def test_numbers_are_stored_in_e164_with_or_without_plus() -> None:
    assert to_e164("41793026731", "CH") == "+41793026731"
    assert to_e164("+41793026731", "ch") == "+41793026731"
    assert display_number("+41793026731") == "41793026731"


def test_a_number_of_another_country_is_refused() -> None:
    with pytest.raises(InvalidNumberError, match="belongs to CH"):
        to_e164("+41793026731", "DE")


@pytest.mark.parametrize("raw", ["", "+12", "hello", "+4930"])
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumberError):
        to_e164(raw, "DE")


def test_international_number_finds_its_own_country() -> None:
    assert international_to_e164("4930123463") == "+4930123463"
    with pytest.raises(InvalidNumberError):
        international_to_e164("999")


def test_number_keys_are_opaque_32_uppercase_hex() -> None:
    keys = {new_number_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) == 32 and k == k.upper() and int(k, 16) >= 0 for k in keys)


def test_purchase_cost_is_setup_plus_first_month() -> None:
    price = Price(setup=100, initial_month=250, per_month=250, currency="EUR")
    assert price.purchase_cost == 350


def test_capabilities_accept_common_separators_and_drop_repeats() -> None:
    assert parse_capabilities("sms|VOICE; voice") == (Capability.SMS, Capability.VOICE)
    with pytest.raises(ValueError, match="unknown capabilities"):
        parse_capabilities("SMS|FAX")


def test_csv_keeps_good_rows_and_names_the_line_of_each_bad_one() -> None:
    text = HEADER + (
        "41793026731,CH,VIRTUAL_LONG_NUMBER,SMS|VOICE,1,2.50,2.50,EUR\n"
        "+41793026731,CH,VIRTUAL_LONG_NUMBER,VOICE,1,2,2,EUR\n"
        "4930123463,FR,VIRTUAL_LONG_NUMBER,VOICE,1,2,2,EUR\n"
        "4930123463,DE,NOT_A_TYPE,VOICE,1,2,2,EUR\n"
        "4930123463,DE,VIRTUAL_LONG_NUMBER,VOICE,1.001,2,2,EUR\n"
        "4930123463,DE,VIRTUAL_LONG_NUMBER,VOICE,1,2,2,euro\n"
        ",,,,,,,\n"
    )
    result = parse_csv(text)
    assert [n.number for n in result.numbers] == ["+41793026731"]
    only = result.numbers[0]
    assert only.type is NumberType.VIRTUAL_LONG_NUMBER
    assert only.price == Price(setup=100, initial_month=250, per_month=250, currency="EUR")
    assert [e.split(":")[0] for e in result.errors] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert "repeats" in result.errors[0]
    assert "belongs to DE" in result.errors[1]


def test_csv_without_required_columns_says_which() -> None:
    result = parse_csv("number,country\n41793026731,CH\n")
    assert result.numbers == []
    assert "type" in result.errors[0]


def test_committed_seed_is_valid_for_five_countries_and_has_sms_only_numbers() -> None:
    result = parse_csv(SEED.read_text(encoding="utf-8"))
    assert result.errors == []
    countries = {n.country for n in result.numbers}
    assert len(countries) >= 5
    for number in result.numbers:
        parsed = phonenumbers.parse(number.number)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == number.country
    assert any(n.capabilities == (Capability.SMS,) for n in result.numbers)
    assert any(Capability.VOICE in n.capabilities for n in result.numbers)


def test_country_names_are_english() -> None:
    assert country_name("DE") == "Germany"
    assert country_name("CH") == "Switzerland"
