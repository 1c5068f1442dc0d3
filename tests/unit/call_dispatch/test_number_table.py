"""The packed number table under the dispatch view: lossless round trips, shared parts freed at
their last use, and the odd input (numbers and targets that do not pack, huge versions)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from call_dispatch import number_table
from call_dispatch.number_table import NumberEntry, NumberTable, Profile, Shared, number_key
from call_dispatch.view import DispatchView
from callplane_shared.voice import (
    ActionType,
    FallbackForward,
    FallbackReject,
    ForwardToPstn,
    RejectReason,
)
from tests.unit.call_dispatch.builders import action_set, unique_number

pytestmark = pytest.mark.unit

_PSTN: Profile = (True, ActionType.FORWARD_TO_PSTN, "+41445550101", None, None)


def _bytes(event: BaseModel) -> bytes:
    return event.model_dump_json(by_alias=True).encode()


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("+41791234567", 41791234567),
        ("41791234567", 41791234567),
        (" +41791234567 ", 41791234567),
        ("+041791234567", "+041791234567"),  # a leading zero must not merge with "+4179…"
        ("+4179123456789012345", "+4179123456789012345"),  # 19 digits: kept as a string
        ("+41_791234567", "+41_791234567"),  # int() would accept it
        ("+٤١٧٩١٢٣٤٥٦٧", "+٤١٧٩١٢٣٤٥٦٧"),  # Arabic-Indic digits: int() would accept them too
        ("++41791234567", "++41791234567"),
        ("+", "+"),
        ("", "+"),
    ],
)
def test_a_number_packs_only_when_its_digits_say_exactly_the_same(
    spelling: str, key: int | str
) -> None:
    assert number_key(spelling) == key


@pytest.mark.parametrize(
    "profile",
    [
        _PSTN,
        (True, ActionType.FORWARD_TO_PSTN, "41445550101", None, None),  # no '+': kept so
        (True, ActionType.FORWARD_TO_PSTN, "+41 44 555 01 01", None, None),  # not digits
        (True, ActionType.FORWARD_TO_PSTN, "+0041445550101", None, None),  # leading zero
        (False, ActionType.VOICE_NUMBER_MASKING, "mk-1", None, "app-1"),
        (True, ActionType.VOICE_FORWARD_TO_CONVERSATIONS, None, None, None),
        (True, ActionType.FORWARD_TO_SUBSCRIPTION, "cfg-1", None, None),
        (True, ActionType.FORWARD_TO_CALL_ROUTING, None, None, None),
        (True, ActionType.FORWARD_TO_IVR, "scn-1", None, None),
        (True, None, None, FallbackForward(pstn_number="+41445550102"), None),
        (True, None, None, FallbackReject(reason=RejectReason.REJECTED_BY_CUSTOMER), None),
    ],
)
@pytest.mark.parametrize("version", [0, 1, 65_535, 65_536, 2**70])
def test_every_entry_comes_back_as_it_was_put(profile: Profile, version: int) -> None:
    table = NumberTable()
    key = number_key(unique_number())
    table.put(key, version, "acc-1", profile)
    assert table.get(key) == NumberEntry(version, "acc-1", *profile)
    assert table.held(key) == (version, True)


def test_a_removed_number_keeps_only_its_version_and_frees_what_it_shared() -> None:
    table = NumberTable()
    key = number_key(unique_number())
    table.put(key, 7, "acc-1", _PSTN)
    table.remove(key, 7)
    assert table.get(key) is None
    assert table.held(key) == (7, False)
    assert (len(table.accounts), len(table.profiles), len(table)) == (0, 0, 1)
    table.put(key, 8, "acc-2", _PSTN)  # back, under another account
    entry = table.get(key)
    assert entry is not None
    assert (entry.version, entry.account_id) == (8, "acc-2")
    assert table.count_live() == 1


def test_shared_parts_live_as_long_as_one_number_uses_them() -> None:
    table = NumberTable()
    a, b = number_key(unique_number()), number_key(unique_number())
    masking: Profile = (True, ActionType.VOICE_NUMBER_MASKING, "mk-1", None, None)
    table.put(a, 1, "acc-1", masking)
    table.put(b, 1, "acc-1", masking)
    assert (len(table.accounts), len(table.profiles)) == (1, 1)
    table.put(a, 2, "acc-1", masking)  # the same again: nothing freed in between
    table.remove(a, 2)
    assert (len(table.accounts), len(table.profiles)) == (1, 1)
    entry = table.get(b)
    assert entry is not None
    assert (entry.account_id, entry.action_arg) == ("acc-1", "mk-1")
    table.put(b, 2, "acc-2", _PSTN)  # moved away: the old account and profile go
    assert (len(table.accounts), len(table.profiles)) == (1, 1)


def test_a_freed_index_is_reused_and_never_leaks_the_old_value() -> None:
    shared: Shared[str] = Shared()
    first = shared.acquire("a", "a")
    assert shared.acquire("a", "a") == first
    shared.release(first)
    shared.release(first)
    assert len(shared) == 0
    assert shared.values[first] is None
    assert shared.acquire("b", "b") == first
    assert shared.values[first] == "b"


def test_indexes_beyond_the_narrow_fields_use_the_wide_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(number_table, "_N_PROFILE_MASK", 1)  # profiles 0 and 1 fit narrow
    table = NumberTable()
    keys = [number_key(unique_number()) for _ in range(4)]
    for i, key in enumerate(keys):
        table.put(key, 3, "acc-1", (True, ActionType.FORWARD_TO_IVR, f"scn-{i}", None, None))
    assert [e.action_arg if (e := table.get(k)) else None for k in keys] == [
        f"scn-{i}" for i in range(4)
    ]
    assert all(table.held(k) == (3, True) for k in keys)


def test_a_negative_version_is_refused() -> None:
    table = NumberTable()
    with pytest.raises(ValueError, match="never negative"):
        table.put(1, -1, "acc-1", _PSTN)
    with pytest.raises(ValueError, match="never negative"):
        table.remove(1, -1)
    assert len(table) == 0


def test_invariant_2_the_packed_view_never_goes_back_through_deletes_and_re_adds() -> None:
    """Invariant 2 on the packed view: versions only move forward across tombstones, re-adds
    and late records, and the live count follows."""
    view = DispatchView()
    number = unique_number()
    key = number.encode()

    def put(version: int, pstn: str) -> None:
        event = action_set(number, version, ForwardToPstn(pstn_number=pstn))
        view.apply_action(key, _bytes(event))

    put(3, "+41445550103")
    put(2, "+41445550102")  # late
    view.apply_action(key, None)
    view.apply_action(key, None)  # a second tombstone removes nothing more
    put(3, "+41445550199")  # the removed version itself
    assert view.number(number) is None
    assert view.numbers_live == view.numbers_held == 0
    put(4, "+41445550104")
    entry = view.number(number.removeprefix("+"))
    assert entry is not None
    assert (entry.version, entry.action_arg) == (4, "+41445550104")
    assert view.numbers_live == view.numbers_held == 1
    assert view.stale_ignored == 2


def test_a_number_that_does_not_pack_is_kept_and_removed_like_any_other() -> None:
    view = DispatchView()
    odd = "+41 79 123"
    view.set_action(action_set(odd, 1, None))
    assert view.number(odd) is not None
    assert view.number("+4179123") is None  # a different number, not the same one reformatted
    view.apply_action(odd.encode(), None)
    assert view.number(odd) is None
    view.apply_action(b"not a number", None)  # nothing held: nothing happens
    assert view.numbers_live == 0
