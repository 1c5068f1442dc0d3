"""The in-memory view call-dispatch decides from: every number's voice action and every route.

Fed from the compacted topics `voice.actions` and `voice.routes` (replayed from the beginning on
start, then followed). Versions only go forward: a record whose version is not above the one held
is ignored, whatever order records arrive in.

Tombstones carry no version, so a removal is kept as a *marker* holding the last version seen.
A late record with that version or an older one cannot bring the number (or route) back; only a
higher version can (action-config keeps versions monotonic per number across leases). A tombstone
for something never seen leaves nothing behind, so after compaction the markers cost nothing.

Numbers are packed (`number_table.py`): a million of them fit in about 106 MiB, which the
benchmark measures. Routes and scenarios are few and kept as models.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, NamedTuple, cast

from call_dispatch.account_status import AccountStatuses
from call_dispatch.number_table import NumberEntry, NumberTable, fallback_key, number_key
from callplane_shared.events import (
    IVR_SCRIPT_MAX_BYTES,
    IvrScenarioPublished,
    RouteUpserted,
    VoiceActionBody,
)
from callplane_shared.routing import Route, RouteStatus
from callplane_shared.voice import (
    DEFAULT_CONVERSATIONS_QUEUE,
    Fallback,
    ForwardToCallRouting,
    ForwardToConversations,
    ForwardToIvr,
    ForwardToPstn,
    ForwardToSubscription,
    VoiceAction,
    VoiceNumberMasking,
)


class RouteEntry(NamedTuple):
    version: int
    route: Route | None


class ScenarioEntry(NamedTuple):
    """An IVR scenario's current version; `script` None marks one deleted at `version`."""

    version: int
    account_id: str
    script: list[Any] | None
    record: bool


# A scenario record is its script (at most IVR_SCRIPT_MAX_BYTES, checked by action-config on
# write) plus a name and ids: anything larger did not come from action-config and is skipped, so
# the scenarios held never exceed accounts x scenario quota x this.
SCENARIO_RECORD_MAX_BYTES = IVR_SCRIPT_MAX_BYTES + 2048


# Each action's one parameter, by the action's class (a dict lookup: this runs for every record
# a replay applies). Not interned: the number table keeps one copy per distinct profile anyway.
_ACTION_ARG: dict[type[VoiceAction], attrgetter[str | None]] = {
    ForwardToPstn: attrgetter("pstn_number"),
    VoiceNumberMasking: attrgetter("voice_number_masking_config_key"),
    ForwardToSubscription: attrgetter("calls_configuration_id"),
    ForwardToCallRouting: attrgetter("route_id"),
    ForwardToIvr: attrgetter("scenario_key"),
    ForwardToConversations: attrgetter("queue_id"),
}


def _validate_setup(value: bytes) -> VoiceActionBody:
    """A `voice.actions` record's setup, validated: the setup only, as a replay validates a
    million of them and the envelope (event id, time) decides nothing here; through the model's
    validator itself (`model_validate_json` adds 0.4 of the 3 µs it takes per record)."""
    return cast("VoiceActionBody", VoiceActionBody.__pydantic_validator__.validate_json(value))


FALLBACK_CACHE_MAX = 10_000


class DispatchView:
    """Numbers and routes as of the records applied so far. Not thread-safe: one event loop."""

    def __init__(self, conversations_default_queue: str = DEFAULT_CONVERSATIONS_QUEUE) -> None:
        # The queue of Conversations numbers whose action and account name none (a setting).
        self.conversations_default_queue = conversations_default_queue
        self._numbers = NumberTable()
        self._routes: dict[str, RouteEntry] = {}
        # Fallbacks repeat across numbers: keep one object per distinct value, for the
        # FALLBACK_CACHE_MAX most recently used values (distinct fallbacks are unbounded).
        self._fallbacks: dict[tuple[str, str], Fallback] = {}
        # Routes indexed per account, and each account's enabled routes sorted on first use: a
        # change of one tenant's route re-sorts that tenant's routes only, never everyone's.
        self._route_ids_by_account: dict[str, set[str]] = {}
        self._enabled_by_account: dict[str, tuple[Route, ...]] = {}
        self._scenarios: dict[str, ScenarioEntry] = {}
        self.accounts = AccountStatuses()
        self.scenarios_oversized = 0
        self.stale_ignored = 0
        # Kept as records are applied, for the view gauges (counting the dicts is O(n)).
        self.numbers_live = 0
        self.routes_live = 0
        self.actions_applied_at = 0.0
        self.routes_applied_at = 0.0
        """Unix time of the last record applied from each topic; 0 before the first."""

    # --- applying records -------------------------------------------------------------------

    def apply_action(self, key: bytes, value: bytes | None) -> None:
        self.actions_applied_at = time.time()
        if value is None:
            self._remove_number(number_key(key.decode()))
            return
        self.set_action(_validate_setup(value))

    def set_action(self, event: VoiceActionBody) -> None:
        key = number_key(event.number)
        held = self._numbers.held(key)
        if held is not None and held[0] >= event.version:
            self.stale_ignored += 1
            return
        if held is None or not held[1]:
            self.numbers_live += 1
        action = event.action
        profile = (
            event.voice_capable,
            None if action is None else action.type,
            None if action is None else _ACTION_ARG[type(action)](action),
            self._shared_fallback(event.fallback),
            event.application_id,
        )
        self._numbers.put(key, event.version, event.account_id, profile)

    def _shared_fallback(self, fallback: Fallback | None) -> Fallback | None:
        if fallback is None:
            return None
        key = fallback_key(fallback)
        shared = self._fallbacks.pop(key, None) or fallback
        self._fallbacks[key] = shared  # re-inserted: most recently used last
        if len(self._fallbacks) > FALLBACK_CACHE_MAX:
            # Only sharing is lost: numbers keep their own reference to an evicted fallback.
            del self._fallbacks[next(iter(self._fallbacks))]
        return shared

    def _remove_number(self, key: int | str) -> None:
        held = self._numbers.held(key)
        if held is not None and held[1]:
            self.numbers_live -= 1
            self._numbers.remove(key, held[0])

    def apply_route(self, key: bytes, value: bytes | None) -> None:
        self.routes_applied_at = time.time()
        if value is None:
            route_id = key.decode()
            held = self._routes.get(route_id)
            if held is not None and held.route is not None:
                self.routes_live -= 1
                self._routes[route_id] = RouteEntry(held.version, None)
                self._forget_route(held.route)
            return
        route = RouteUpserted.model_validate_json(value).route
        self.set_route(route)

    def set_route(self, route: Route) -> None:
        held = self._routes.get(route.id)
        if held is not None and held.version >= route.version:
            self.stale_ignored += 1
            return
        if held is None or held.route is None:
            self.routes_live += 1
        else:
            self._forget_route(held.route)
        self._routes[route.id] = RouteEntry(route.version, route)
        self._route_ids_by_account.setdefault(route.account_id, set()).add(route.id)
        self._enabled_by_account.pop(route.account_id, None)

    def _forget_route(self, route: Route) -> None:
        ids = self._route_ids_by_account.get(route.account_id)
        if ids is not None:
            ids.discard(route.id)
            if not ids:
                del self._route_ids_by_account[route.account_id]
        self._enabled_by_account.pop(route.account_id, None)

    def apply_scenario(self, key: bytes, value: bytes | None) -> None:
        """IVR scenarios: the highest version wins; a tombstone keeps the version as a marker."""
        scenario_id = key.decode()
        held = self._scenarios.get(scenario_id)
        if value is None:
            if held is not None:
                self._scenarios[scenario_id] = held._replace(script=None)
            return
        if len(value) > SCENARIO_RECORD_MAX_BYTES:
            self.scenarios_oversized += 1
            return
        event = IvrScenarioPublished.model_validate_json(value)
        if held is not None and held.version >= event.version:
            self.stale_ignored += 1
            return
        self._scenarios[scenario_id] = ScenarioEntry(
            event.version, sys.intern(event.account_id), event.script, event.record
        )

    # --- reading ------------------------------------------------------------------------------

    def scenario(self, scenario_id: str) -> ScenarioEntry | None:
        """The current version of a scenario, or None when unknown or deleted."""
        entry = self._scenarios.get(scenario_id)
        return None if entry is None or entry.script is None else entry

    def number(self, number: str) -> NumberEntry | None:
        """The live entry of a number, or None when unknown or removed."""
        return self._numbers.get(number_key(number))

    def route(self, route_id: str) -> Route | None:
        entry = self._routes.get(route_id)
        return None if entry is None else entry.route

    def enabled_routes(self, account_id: str) -> Sequence[Route]:
        """An account's enabled routes, lowest `order` first: dynamic routing never crosses
        accounts."""
        cached = self._enabled_by_account.get(account_id)
        if cached is None:
            routes = [self._routes[i].route for i in self._route_ids_by_account.get(account_id, ())]
            enabled = [r for r in routes if r is not None and r.status is RouteStatus.ENABLED]
            cached = tuple(sorted(enabled, key=lambda r: (r.order, r.id)))
            self._enabled_by_account[account_id] = cached
        return cached

    @property
    def numbers_held(self) -> int:
        return self._numbers.count_live()

    @property
    def routes_held(self) -> int:
        return sum(1 for e in self._routes.values() if e.route is not None)
