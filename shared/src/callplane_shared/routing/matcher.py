"""Which route an inbound call takes, and in what order its destinations are tried.

Pure functions of (routes, call, time): action-config's `simulate` and call-dispatch's hot path
run this same code, so a simulation predicts what a real call does.

Rules:
- only ENABLED routes take part (simulate may include disabled ones);
- routes are tried by ascending `order` (ties by id, so the result never depends on input order);
- a route matches when ANY criterion matches; a route without criteria matches every call;
- within one criterion, every field that is set must match (`to` against the called number, the
  `value` fields against the caller's endpoint);
- a matching route whose destinations are all outside their time windows at `now` is skipped,
  so an "after hours" route placed later can take the call;
- destinations: ascending `priority` (unset sorts last, in listed order); within a priority the
  higher `weight` goes first, or, with a `seed` (the callId), a weighted shuffle that is the same
  for every delivery of that call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from callplane_shared.routing.models import (
    WEEKDAYS,
    ApplicationCriteria,
    Destination,
    PhoneCriteria,
    Route,
    RouteStatus,
    SearchCriteria,
    SipCriteria,
    TimeWindow,
    WebRtcCriteria,
    WhatsAppCriteria,
)
from callplane_shared.routing.patterns import compile_pattern


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the matcher needs to know about a call."""

    from_: str
    to: str
    endpoint_type: str = "PHONE"
    username: str | None = None
    host: str | None = None
    identity: str | None = None
    application_id: str | None = None
    sip_trunk_id: str | None = None
    calls_configuration_id: str | None = None
    sip_headers: Mapping[str, str] = field(default_factory=dict)
    custom_data: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_inbound(cls, call: object) -> CallFacts:
        """Facts of an `events.InboundCall` (typed loosely to keep this module import-light)."""
        endpoint = getattr(call, "endpoint", None)
        return cls(
            from_=str(getattr(call, "from_", "")),
            to=str(getattr(call, "to", "")),
            endpoint_type=str(getattr(endpoint, "type", "PHONE")),
            username=getattr(endpoint, "username", None),
            host=getattr(endpoint, "host", None),
            identity=getattr(endpoint, "identity", None),
            sip_trunk_id=getattr(endpoint, "sip_trunk_id", None),
            sip_headers=getattr(call, "sip_headers", None) or {},
        )


def _pairs_match(wanted: Iterable[tuple[str, str | None]], given: Mapping[str, str]) -> bool:
    """Every wanted key is present (names case-insensitive) with a value matching its pattern."""
    lowered = {k.lower(): v for k, v in given.items()}
    for key, pattern in wanted:
        value = lowered.get(key.lower())
        if value is None or (pattern is not None and not compile_pattern(pattern).matches(value)):
            return False
    return True


def _sip_matches(value: SipCriteria, call: CallFacts) -> bool:
    if value.host is not None and (call.host or "").lower() != value.host.lower():
        return False
    if value.sip_trunk_id is not None and call.sip_trunk_id != value.sip_trunk_id:
        return False
    headers = [(h.header_name, h.header_value) for h in value.headers or ()]
    if not _pairs_match(headers, call.sip_headers):
        return False
    user = call.username if call.username is not None else call.from_
    return value.username is None or compile_pattern(value.username).matches(user)


def _webrtc_matches(value: WebRtcCriteria, call: CallFacts) -> bool:
    if not _pairs_match([(e.key, e.value) for e in value.custom_data or ()], call.custom_data):
        return False
    who = call.identity if call.identity is not None else call.from_
    return value.identity is None or compile_pattern(value.identity).matches(who)


def _value_matches(criteria: SearchCriteria, call: CallFacts) -> bool:  # noqa: PLR0911
    value = criteria.value
    if value is None:
        return True
    if str(value.type) != call.endpoint_type:
        return False
    if isinstance(value, PhoneCriteria | WhatsAppCriteria):
        return value.from_ is None or compile_pattern(value.from_).matches(call.from_)
    if isinstance(value, SipCriteria):
        return _sip_matches(value, call)
    if isinstance(value, WebRtcCriteria):
        return _webrtc_matches(value, call)
    if isinstance(value, ApplicationCriteria):
        wanted = value.calls_configuration_id
        return wanted is None or wanted == call.calls_configuration_id
    return False


def criteria_matches(criteria: SearchCriteria, call: CallFacts) -> bool:
    if criteria.to is not None and not compile_pattern(criteria.to).matches(call.to):
        return False
    return _value_matches(criteria, call)


def route_matches(route: Route, call: CallFacts) -> bool:
    if not route.criteria:
        return True
    return any(criteria_matches(c, call) for c in route.criteria)


def window_open(window: TimeWindow, local: datetime) -> bool:
    """Whether `local` (already in the route's zone) falls in the window; see `TimeWindow`."""
    minute = local.hour * 60 + local.minute
    today = WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local - timedelta(days=1)).weekday()]
    start, end = window.from_.minutes, window.to.minutes
    if start < end:
        return today in window.days and start <= minute < end
    # Across midnight (or a full 24 h when start == end): the evening part belongs to the start
    # day, the early-morning part to the day before.
    return (today in window.days and minute >= start) or (yesterday in window.days and minute < end)


def destination_available(destination: Destination, local: datetime) -> bool:
    windows = destination.allowed_time_windows
    return not windows or any(window_open(w, local) for w in windows)


def _local(route: Route, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(route.time_zone))


def _weighted_key(seed: str, route_id: str, index: int, weight: int) -> float:
    # Efraimidis-Spirakis: sorting by u ** (1 / w) descending is a weighted shuffle.
    digest = hashlib.sha256(f"{seed}:{route_id}:{index}".encode()).digest()
    u = (int.from_bytes(digest[:8], "big") + 1) / (2**64 + 1)
    return float(u ** (1.0 / weight))


def failover_order(route: Route, now: datetime, seed: str | None = None) -> list[Destination]:
    """The route's destinations available at `now`, in the order they should be tried."""
    local = _local(route, now)
    indexed = [(i, d) for i, d in enumerate(route.destinations) if destination_available(d, local)]

    def key(item: tuple[int, Destination]) -> tuple[bool, int, float, int]:
        index, dest = item
        priority = dest.priority if dest.priority is not None else 0
        weight = dest.weight or 1
        share = _weighted_key(seed, route.id, index, weight) if seed is not None else float(weight)
        return (dest.priority is None, priority, -share, index)

    return [d for _, d in sorted(indexed, key=key)]


def _candidates(routes: Iterable[Route], include_disabled: bool) -> list[Route]:
    chosen = [r for r in routes if include_disabled or r.status is RouteStatus.ENABLED]
    return sorted(chosen, key=lambda r: (r.order, r.id))


def match_route(
    routes: Iterable[Route],
    call: CallFacts,
    now: datetime,
    *,
    include_disabled: bool = False,
) -> Route | None:
    """The first route (lowest order) that matches `call` and has a destination open at `now`."""
    for route in _candidates(routes, include_disabled):
        if route_matches(route, call) and failover_order(route, now):
            return route
    return None
