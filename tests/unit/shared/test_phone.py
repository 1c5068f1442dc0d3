"""The one E.164 normaliser: with or without '+', validated by phonenumbers, country checked
when asked."""

from __future__ import annotations

import pytest

from callplane_shared.phone import InvalidPhoneNumberError, to_e164

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("raw", ["41793026731", "+41793026731", " +41793026731 ", 41793026731])
def test_international_forms_become_e164(raw: str | int) -> None:
    assert to_e164(raw) == "+41793026731"


def test_the_country_must_match_when_given() -> None:
    assert to_e164("41793026731", "ch") == "+41793026731"
    with pytest.raises(InvalidPhoneNumberError, match="belongs to CH, not DE"):
        to_e164("41793026731", "DE")


@pytest.mark.parametrize("raw", ["", "12", "abc", "+999999999999"])
def test_what_is_not_a_valid_number_says_so(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumberError):
        to_e164(raw)
