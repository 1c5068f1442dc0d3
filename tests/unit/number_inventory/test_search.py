from __future__ import annotations

import re

import pytest

from number_inventory.domain.pool import Capability
from number_inventory.domain.search import (
    MAX_LIMIT,
    Page,
    SearchError,
    available_filter,
    digits_pattern,
    owned_filter,
)

pytestmark = pytest.mark.unit


def test_available_means_unowned_and_filters_combine() -> None:
    query = available_filter([Capability.VOICE, Capability.SMS], "de", "+49 30")
    assert query == {
        "accountId": None,
        "capabilities": {"$all": ["SMS", "VOICE"]},
        "country": "DE",
        "digits": {"$regex": "4930"},
    }


def test_no_criteria_is_the_whole_free_pool() -> None:
    assert available_filter([], None, None) == {"accountId": None}


def test_number_pattern_accepts_only_digits_and_is_a_safe_regex() -> None:
    assert digits_pattern("+41-79 302") == "4179302"
    assert re.search(digits_pattern("793"), "41793026731")
    for hostile in ["4.*", "(a+)+$", "41|", "[0-9]"]:
        with pytest.raises(SearchError) as caught:
            digits_pattern(hostile)
        assert caught.value.field == "number"


def test_country_must_be_two_letters() -> None:
    with pytest.raises(SearchError) as caught:
        available_filter([], "Germany", None)
    assert caught.value.field == "country"


def test_owned_numbers_are_the_accounts_finished_leases() -> None:
    assert owned_filter("acc", None) == {"accountId": "acc", "leaseState": "LEASED"}
    assert owned_filter("acc", "4179")["digits"] == {"$regex": "4179"}


def test_paging_bounds() -> None:
    assert Page(limit=10, page=3).skip == 30
    for limit, page, field in [(0, 0, "limit"), (MAX_LIMIT + 1, 0, "limit"), (10, -1, "page")]:
        with pytest.raises(SearchError) as caught:
            Page(limit=limit, page=page)
        assert caught.value.field == field
