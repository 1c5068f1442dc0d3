"""The dispatch view keeps routes per account: one tenant's route change re-sorts that tenant's
routes only (invariant 8), disabled and removed routes leave the account's list, and an older
version never comes back (invariant 2)."""

from __future__ import annotations

import pytest

from call_dispatch.view import DispatchView
from tests.unit.call_dispatch.builders import route, route_upserted

pytestmark = pytest.mark.unit


def test_a_change_of_one_tenant_leaves_the_other_tenants_routes_untouched() -> None:
    view = DispatchView()
    for order in (2, 1):
        view.set_route(route("acc-a", order=order))
    view.set_route(route("acc-b"))
    routes_of_a = view.enabled_routes("acc-a")
    assert [r.order for r in routes_of_a] == [1, 2]
    view.set_route(route("acc-b", order=7))
    assert view.enabled_routes("acc-a") is routes_of_a  # not rebuilt
    assert [r.order for r in view.enabled_routes("acc-b")] == [1, 7]


def test_disabled_removed_and_stale_routes_leave_the_accounts_list() -> None:
    view = DispatchView()
    first = route("acc-a", order=1, version=2)
    second = route("acc-a", order=2)
    view.set_route(first)
    view.set_route(second)
    view.set_route(first.model_copy(update={"version": 1, "order": 9}))  # stale: ignored
    assert [r.id for r in view.enabled_routes("acc-a")] == [first.id, second.id]
    view.set_route(second.model_copy(update={"version": 2, "status": "DISABLED"}))
    assert [r.id for r in view.enabled_routes("acc-a")] == [first.id]
    view.apply_route(first.id.encode(), None)
    assert view.enabled_routes("acc-a") == ()
    view.apply_route(first.id.encode(), route_upserted(first).model_dump_json().encode())
    assert view.enabled_routes("acc-a") == ()  # a tombstone keeps its version: no resurrection
    assert view.routes_live == 1
