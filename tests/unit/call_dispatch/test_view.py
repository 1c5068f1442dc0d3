from __future__ import annotations

import pytest
from pydantic import BaseModel

from call_dispatch.view import DispatchView
from callplane_shared.voice import ForwardToIvr, ForwardToPstn
from tests.unit.call_dispatch.builders import action_set, route, route_upserted, unique_number

pytestmark = pytest.mark.unit


def _bytes(event: BaseModel) -> bytes:
    return event.model_dump_json(by_alias=True).encode()


def test_a_newer_version_replaces_and_an_older_one_is_ignored() -> None:
    view = DispatchView()
    number = unique_number()
    view.apply_action(
        number.encode(), _bytes(action_set(number, 5, ForwardToIvr(scenario_key="new")))
    )
    view.apply_action(
        number.encode(), _bytes(action_set(number, 3, ForwardToIvr(scenario_key="old")))
    )
    entry = view.number(number)
    assert entry is not None
    assert (entry.version, entry.action_arg) == (5, "new")
    assert view.stale_ignored == 1


def test_a_tombstone_removes_and_a_late_older_version_does_not_bring_it_back() -> None:
    view = DispatchView()
    number = unique_number()
    key = number.encode()
    view.apply_action(key, _bytes(action_set(number, 4, ForwardToPstn(pstn_number="+41445550101"))))
    view.apply_action(key, None)
    assert view.number(number) is None
    view.apply_action(key, _bytes(action_set(number, 4, None)))
    view.apply_action(key, _bytes(action_set(number, 2, None)))
    assert view.number(number) is None
    view.apply_action(key, _bytes(action_set(number, 5, None)))
    entry = view.number(number)
    assert entry is not None
    assert entry.version == 5
    assert entry.action_type is None


def test_a_tombstone_for_an_unknown_number_leaves_nothing() -> None:
    view = DispatchView()
    number = unique_number()
    view.apply_action(number.encode(), None)
    view.apply_action(number.encode(), _bytes(action_set(number, 1, None)))
    assert view.number(number) is not None


def test_numbers_are_found_with_or_without_plus() -> None:
    view = DispatchView()
    number = unique_number()
    view.apply_action(number.encode(), _bytes(action_set(number, 1, None)))
    assert view.number(number.lstrip("+")) is not None


def test_fallbacks_and_accounts_are_shared_between_numbers() -> None:
    from callplane_shared.voice import FallbackForward

    view = DispatchView()
    a, b = unique_number(), unique_number()
    for n in (a, b):
        event = action_set(n, 1, None, fallback=FallbackForward(pstn_number="+41445550102"))
        view.apply_action(n.encode(), _bytes(event))
    ea, eb = view.number(a), view.number(b)
    assert ea is not None
    assert eb is not None
    assert ea.fallback is eb.fallback
    assert ea.account_id is eb.account_id


def test_the_fallback_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from call_dispatch import view as view_module
    from callplane_shared.voice import FallbackForward

    monkeypatch.setattr(view_module, "FALLBACK_CACHE_MAX", 3)
    view = DispatchView()
    numbers = [unique_number() for _ in range(10)]
    for i, n in enumerate(numbers):
        fallback = FallbackForward(pstn_number=f"+4144555{i:04d}")
        view.apply_action(n.encode(), _bytes(action_set(n, 1, None, fallback=fallback)))
    assert len(view._fallbacks) == 3  # noqa: SLF001 - the bound is the point of the test
    oldest = view.number(numbers[0])
    assert oldest is not None
    assert oldest.fallback == FallbackForward(pstn_number="+41445550000")  # evicted, still held


def test_routes_keep_the_highest_version_and_are_listed_per_account_by_order() -> None:
    view = DispatchView()
    second = route("acc-a", order=2, version=1)
    first = route("acc-a", order=1, version=1)
    other = route("acc-b", order=1)
    for r in (second, first, other):
        view.apply_route(r.id.encode(), _bytes(route_upserted(r)))
    disabled = route("acc-a", order=1, version=2, status="DISABLED", route_id=first.id)
    view.apply_route(first.id.encode(), _bytes(route_upserted(disabled)))
    stale = route("acc-a", order=1, version=1, route_id=first.id)
    view.apply_route(first.id.encode(), _bytes(route_upserted(stale)))
    assert [r.id for r in view.enabled_routes("acc-a")] == [second.id]
    view.apply_route(second.id.encode(), None)
    assert view.enabled_routes("acc-a") == ()
    assert view.route(second.id) is None
    assert [r.id for r in view.enabled_routes("acc-b")] == [other.id]
