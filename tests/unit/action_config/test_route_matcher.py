"""The shared route matcher: any-match criteria, order, status, patterns, time windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from callplane_shared.routing import (
    MAX_PATTERN_LENGTH,
    CallFacts,
    Route,
    RouteStatus,
    UnsafePatternError,
    failover_order,
    match_route,
    route_pattern_errors,
    validate_pattern,
)
from callplane_shared.routing.patterns import compile_pattern

pytestmark = pytest.mark.unit

# A Wednesday, 12:00 UTC (13:00 in Zurich).
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PHONE_DEST = {"type": "ENDPOINT", "value": {"type": "PHONE", "phoneNumber": "41790000001"}}


def route(route_id: str, order: int = 1, **fields: Any) -> Route:
    body: dict[str, Any] = {
        "id": route_id,
        "name": route_id,
        "order": order,
        "accountId": "acc",
        "version": 1,
        "destinations": [PHONE_DEST],
        **fields,
    }
    return Route.model_validate(body)


def call(to: str = "+41793026731", from_: str = "+41441234567", **kw: Any) -> CallFacts:
    return CallFacts(from_=from_, to=to, **kw)


def test_to_as_a_plain_number_matches_with_or_without_plus() -> None:
    r = route("r1", criteria=[{"to": "41793026731"}])
    assert match_route([r], call(), NOON) == r
    r2 = route("r2", criteria=[{"to": "+41793026731"}])
    assert match_route([r2], call(to="41793026731"), NOON) == r2
    assert match_route([r], call(to="+41793026732"), NOON) is None


def test_to_as_a_regex_must_match_the_whole_number() -> None:
    r = route("r1", criteria=[{"to": "41793(.+)"}])
    assert match_route([r], call(), NOON) == r
    partial = route("r2", criteria=[{"to": "4179"}])
    assert match_route([partial], call(), NOON) is None


def test_any_criterion_is_enough() -> None:
    r = route(
        "r1",
        criteria=[
            {"to": "999"},
            {"value": {"type": "PHONE", "from": "4144(.*)"}},
        ],
    )
    assert match_route([r], call(), NOON) == r
    assert match_route([r], call(from_="+33100000000"), NOON) is None


def test_all_fields_of_one_criterion_must_match() -> None:
    r = route("r1", criteria=[{"to": "41793026731", "value": {"type": "PHONE", "from": "1"}}])
    assert match_route([r], call(), NOON) is None


def test_endpoint_type_of_the_criterion_must_be_the_callers() -> None:
    r = route("r1", criteria=[{"value": {"type": "SIP", "username": "alice"}}])
    assert match_route([r], call(), NOON) is None
    sip = call(endpoint_type="SIP", username="alice", host="pbx.example.com")
    assert match_route([r], sip, NOON) == r


def test_route_without_criteria_matches_every_call() -> None:
    r = route("catch-all")
    assert match_route([r], call(to="+1"), NOON) == r


def test_lowest_order_wins_whatever_the_input_order() -> None:
    late = route("late", order=5, criteria=[{"to": "41793(.+)"}])
    early = route("early", order=2, criteria=[{"to": "41793026731"}])
    assert match_route([late, early], call(), NOON) == early
    assert match_route([early, late], call(), NOON) == early


def test_disabled_routes_are_skipped_unless_asked() -> None:
    off = route("off", order=1, status=RouteStatus.DISABLED)
    on = route("on", order=2)
    assert match_route([off, on], call(), NOON) == on
    assert match_route([off, on], call(), NOON, include_disabled=True) == off
    assert match_route([off], call(), NOON) is None


def test_destinations_by_priority_then_weight() -> None:
    def dest(n: str, **kw: Any) -> dict[str, Any]:
        return {"type": "ENDPOINT", "value": {"type": "PHONE", "phoneNumber": n}, **kw}

    r = route(
        "r1",
        destinations=[
            dest("4", priority=2),
            dest("3"),
            dest("2", priority=1, weight=1),
            dest("1", priority=1, weight=9),
        ],
    )
    ordered = [d.value.phone_number for d in failover_order(r, NOON)]  # type: ignore[union-attr]
    assert ordered == ["1", "2", "4", "3"]


def test_seeded_weighted_order_is_deterministic_per_call_and_spreads_load() -> None:
    r = route(
        "r1",
        destinations=[
            {"type": "URL", "value": {"url": "https://a.example.com"}, "priority": 1, "weight": 3},
            {"type": "URL", "value": {"url": "https://b.example.com"}, "priority": 1, "weight": 1},
        ],
    )
    first = failover_order(r, NOON, seed="call-1")
    assert failover_order(r, NOON, seed="call-1") == first
    leaders = [failover_order(r, NOON, seed=f"c{i}")[0].value.model_dump() for i in range(400)]
    share_a = sum(1 for v in leaders if "a.example" in v["url"]) / len(leaders)
    assert 0.6 < share_a < 0.9


def window_route(window: dict[str, Any], zone: str = "Europe/Zurich") -> Route:
    return route(
        "w",
        timeZone=zone,
        destinations=[{**PHONE_DEST, "allowedTimeWindows": [window]}],
    )


def test_time_window_is_read_in_the_routes_zone() -> None:
    # 12:00 UTC is 13:00 in Zurich: inside 13:00-14:00 there, outside in UTC.
    window = {"days": ["WEDNESDAY"], "from": {"hour": 13}, "to": {"hour": 14}}
    assert match_route([window_route(window)], call(), NOON) is not None
    assert match_route([window_route(window, "UTC")], call(), NOON) is None


def test_window_across_midnight_belongs_to_its_start_day() -> None:
    night = {"days": ["TUESDAY"], "from": {"hour": 22}, "to": {"hour": 6}}
    r = window_route(night, "UTC")
    tue_late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    wed_early = datetime(2026, 11, 25, 5, 59, tzinfo=UTC)
    wed_late = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    mon_late = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert failover_order(r, tue_late)
    assert failover_order(r, wed_early)
    assert not failover_order(r, wed_late)
    assert not failover_order(r, mon_late)
    assert not failover_order(r, datetime(2026, 11, 25, 6, 0, tzinfo=UTC))


def test_route_closed_by_its_windows_falls_through_to_the_next() -> None:
    closed = {"days": ["SUNDAY"], "from": {"hour": 0}, "to": {"hour": 1}}
    office = route("office", order=1, destinations=[{**PHONE_DEST, "allowedTimeWindows": [closed]}])
    after_hours = route("after-hours", order=2)
    assert match_route([office, after_hours], call(), NOON) == after_hours


# Each refused with a message that names what to change.
REFUSED = {
    "(\\d)\\1": "backreferences",
    "(?P<n>4)(?P=n)": "named backreferences",
    "(?=4)\\d+": "lookarounds",
    "(?<!4)9": "lookarounds",
    "(?>49)1": "atomic groups",
    "4++": "possessive quantifiers",
    "\\d{1001}": "larger than 1000",
    ".{1000}" * 8: "expands too much",
    "[": "not a valid regular expression",
    "": "must not be empty",
}

# Shapes that backtrack catastrophically in `re` (the first is issue 12's: 2.1 s at 22 repeats,
# minutes at the length limit). On RE2 they are ordinary patterns: accepted, matched in linear time.
PATHOLOGICAL = [
    "\\d{0,9}" * 28 + "\\D",
    "(\\d+)+\\D$",
    "(\\d+)+x",
    "(\\d|\\d\\d)+x",
    "(\\d*)*x",
    "(\\d?){40}\\d{40}x",
    "(.*){12}x",
    "(\\d+\\d+)+x",
    "(4|44|444)*x",
    "((\\d+)+)+x",
    "(\\d{1,9}){1,9}x",
    "\\+?(\\d+)*(\\d+)*(\\d+)*(\\d+)*x",
    "(.*1.*){10}x",
]


@pytest.mark.parametrize(("pattern", "construct"), REFUSED.items())
def test_patterns_re2_cannot_run_are_refused_naming_the_construct(
    pattern: str, construct: str
) -> None:
    with pytest.raises(UnsafePatternError, match=construct):
        validate_pattern(pattern)
    assert not compile_pattern(pattern).matches("+4930123463")


def test_pattern_length_is_limited() -> None:
    validate_pattern("4" * 32)
    validate_pattern("4[0-9]{2}" + "1" * (MAX_PATTERN_LENGTH - 9))
    with pytest.raises(UnsafePatternError, match="longer than"):
        validate_pattern("4." + "1" * MAX_PATTERN_LENGTH)


@pytest.mark.parametrize("pattern", ["41793(.+)", "\\+?49[0-9]{6,12}", "(41|33)7.*", "alice"])
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    validate_pattern(pattern)


# A hang guard, not a speed measurement: under `re` these take from seconds to hours, so the
# timeout only fires if patterns stop running on a linear-time engine (invariant 8).
@pytest.mark.timeout(30)
@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_patterns_match_on_a_linear_time_engine(pattern: str) -> None:
    validate_pattern(pattern)
    compiled = compile_pattern(pattern)
    assert compiled.regex is not None
    assert type(compiled.regex).__module__.startswith("re2")
    for subject in ("+4930123463", "+" + "1" * 40, "1" * MAX_PATTERN_LENGTH):
        assert not compiled.matches(subject)


def test_patterns_still_match_what_they_describe() -> None:
    assert compile_pattern("\\d{0,9}" * 22 + "\\D").matches("4930123463x")
    assert compile_pattern("(\\d+)+$").matches("+4930123463")
    r = route("repeated", criteria=[{"to": "(\\d+)+3"}])
    assert match_route([r], call(to="+4930123463"), NOON) == r


def test_compiled_patterns_are_cached() -> None:
    assert compile_pattern("41793(.+)") is compile_pattern("41793(.+)")


def test_route_pattern_errors_name_the_field() -> None:
    r = route("r", criteria=[{"to": "ok"}, {"value": {"type": "PHONE", "from": "(?=1)"}}])
    assert list(route_pattern_errors(r)) == ["criteria[1].value.from"]
