from __future__ import annotations

import json

import pytest

from console.api_errors import problem_of
from console.route_rows import (
    MAX_DESTINATIONS,
    RouteRows,
    placed_keys,
    route_lists,
    row_messages,
    rows_of_form,
    rows_of_route,
)
from console.time_windows import WindowsError, format_windows, parse_windows

pytestmark = pytest.mark.unit

ROUTE = {
    "criteria": [
        {"to": "41793(.+)"},
        {"value": {"type": "PHONE", "from": "4144(.*)"}},
        {"value": {"type": "SIP", "username": "alice", "headers": [{"name": "X", "value": "1"}]}},
    ],
    "destinations": [
        {
            "type": "ENDPOINT",
            "priority": 1,
            "weight": 3,
            "value": {"type": "PHONE", "phoneNumber": "41793026727", "from": "41440000000"},
            "allowedTimeWindows": [
                {
                    "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
                    "from": {"hour": 8, "minute": 0},
                    "to": {"hour": 18, "minute": 0},
                },
            ],
        },
        {"type": "URL", "priority": 2, "url": "https://example.com/where-to"},
        {"type": "APPLICATION", "value": {"type": "INFOBIP_APPLICATION", "applicationId": "app"}},
    ],
}


def form_of(rows: RouteRows) -> dict[str, str]:
    """What the browser posts back for these rows (the template's field names)."""
    form: dict[str, str] = {}
    for i, c in enumerate(rows.criteria):
        form |= {
            f"criteria-{i}-to": c.to,
            f"criteria-{i}-type": c.caller_type,
            f"criteria-{i}-caller": c.caller,
            f"criteria-{i}-extra": c.extra,
        }
    for i, d in enumerate(rows.destinations):
        form |= {
            f"destinations-{i}-type": d.kind,
            f"destinations-{i}-value": d.value,
            f"destinations-{i}-priority": d.priority,
            f"destinations-{i}-weight": d.weight,
            f"destinations-{i}-timeout": d.timeout,
            f"destinations-{i}-windows": d.windows,
            f"destinations-{i}-extra": d.extra,
        }
    return form


def test_a_stored_route_goes_through_the_rows_and_back_unchanged() -> None:
    rows = rows_of_route(ROUTE)
    assert [c.caller_type for c in rows.criteria] == ["", "PHONE", "SIP"]
    assert rows.destinations[0].windows == "Mon-Fri 08:00-18:00"
    assert [d.value for d in rows.destinations] == [
        "41793026727",
        "https://example.com/where-to",
        "app",
    ]
    lists, refused = route_lists(rows_of_form(form_of(rows)))
    assert refused == {}
    assert lists == ROUTE


def test_fields_the_form_does_not_edit_are_dropped_when_the_row_changes_type() -> None:
    form = form_of(rows_of_route(ROUTE))
    form["destinations-0-type"] = "SIP"
    form["destinations-0-value"] = "bob"
    lists, _ = route_lists(rows_of_form(form))
    assert lists["destinations"][0]["value"] == {"type": "SIP", "username": "bob"}


def test_rows_are_added_and_removed_by_the_buttons_and_bounded() -> None:
    rows = RouteRows.new().apply("add-criterion")
    assert (len(rows.criteria), len(rows.destinations), rows.focus) == (1, 1, "criteria-0-to")
    rows = rows.apply("remove-destination-0").apply("remove-destination-7").apply("rm -rf")
    assert (len(rows.criteria), rows.destinations) == (1, [])
    for _ in range(MAX_DESTINATIONS + 3):
        rows = rows.apply("add-destination")
    assert len(rows.destinations) == MAX_DESTINATIONS


def test_a_form_that_skips_a_row_number_stops_there() -> None:
    rows = rows_of_form({"criteria-0-type": "", "criteria-2-type": "PHONE", "criteria-0-to": "1"})
    assert len(rows.criteria) == 1


def test_each_api_error_lands_on_the_field_it_names() -> None:
    problem = problem_of(
        400,
        {
            "description": "Invalid request",
            "violations": [
                {"property": "destinations.0.ENDPOINT.value.PHONE.phoneNumber", "violation": "a"},
                {"property": "destinations.1.URL.url", "violation": "b"},
                {"property": "destinations.1.URL.priority", "violation": "c"},
                {"property": "criteria[0].to", "violation": "d"},
                {"property": "criteria.1.value.SIP.username", "violation": "e"},
                {"property": "destinations.0.ENDPOINT.recording", "violation": "f"},
                {"property": "destinations", "violation": "g"},
                {"property": "name", "violation": "h"},
            ],
        },
    )
    assert row_messages(problem) == {
        "destinations-0-value": "a",
        "destinations-1-value": "b",
        "destinations-1-priority": "c",
        "criteria-0-to": "d",
        "criteria-1-caller": "e",
        "destinations-0": "f",
        "destinations": "g",
    }
    assert "name" not in placed_keys(problem)


def test_a_time_window_the_console_cannot_read_is_refused_on_its_field() -> None:
    form = form_of(RouteRows.new())
    form["destinations-0-windows"] = "weekdays 9 to 5"
    _, refused = route_lists(rows_of_form(form))
    assert "Mon-Fri 08:00-18:00" in refused["destinations.0.allowedTimeWindows"]


@pytest.mark.parametrize(
    ("line", "days", "start", "end"),
    [
        ("Mon-Fri 08:00-18:00", ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"], 8, 18),
        ("sat,sun 9:30 - 12:00", ["SATURDAY", "SUNDAY"], 9, 12),
        ("Fri-Mon 22:00-06:00", ["FRIDAY", "SATURDAY", "SUNDAY", "MONDAY"], 22, 6),
    ],
)
def test_time_windows_are_read_as_a_person_writes_them(
    line: str, days: list[str], start: int, end: int
) -> None:
    (window,) = parse_windows(line)
    assert (window["days"], window["from"]["hour"], window["to"]["hour"]) == (days, start, end)


@pytest.mark.parametrize("line", ["Mon 25:00-26:00", "Someday 08:00-09:00", "Mon 8-9", "x" * 50])
def test_a_window_that_is_not_one_says_how_to_write_it(line: str) -> None:
    with pytest.raises(WindowsError):
        parse_windows(line)


def test_windows_are_written_back_with_day_ranges() -> None:
    windows = parse_windows("Mon-Wed,Fri 08:00-12:00; Sun 10:00-11:15")
    assert format_windows(windows) == "Mon-Wed,Fri 08:00-12:00; Sun 10:00-11:15"
    assert json.loads(json.dumps(windows)) == windows
