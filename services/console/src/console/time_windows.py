"""A destination's time windows as one line a person writes (`Mon-Fri 08:00-18:00; Sat
09:00-12:00`) and the API's `allowedTimeWindows` (days the window starts on, from, to), each
from the other (pure). A window whose end is not after its start runs past midnight, as the API
reads it."""

from __future__ import annotations

import re
from typing import Any

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
SHORT = {day[:3].title(): day for day in DAYS}
MAX_WINDOWS = 20  # the API's bound
_WINDOW = re.compile(
    r"^(?P<days>[A-Za-z, -]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)
EXAMPLE = "Mon-Fri 08:00-18:00; Sat 09:00-12:00"


class WindowsError(ValueError):
    """A line the console cannot read as time windows; says how to write one."""


def parse_windows(text: str) -> list[dict[str, Any]]:
    windows = [part.strip() for part in text.split(";") if part.strip()]
    if len(windows) > MAX_WINDOWS:
        raise WindowsError(f"at most {MAX_WINDOWS} windows")
    return [_window(part) for part in windows]


def _window(text: str) -> dict[str, Any]:
    found = _WINDOW.match(text)
    if found is None:
        raise WindowsError(f"cannot read {text[:40]!r}: write e.g. {EXAMPLE}")
    return {
        "days": _days(found.group("days")),
        "from": _time(found.group("start")),
        "to": _time(found.group("end")),
    }


def _days(text: str) -> list[str]:
    days: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        first, _, last = (end.strip().title()[:3] for end in part.partition("-"))
        if first not in SHORT or (last and last not in SHORT):
            raise WindowsError(
                f"unknown day in {part[:20]!r}: use Mon, Tue, Wed, Thu, Fri, Sat, Sun"
            )
        start = DAYS.index(SHORT[first])
        stop = DAYS.index(SHORT[last]) if last else start
        span = range(start, stop + 1) if stop >= start else [*range(start, 7), *range(stop + 1)]
        days += [DAYS[i] for i in span if DAYS[i] not in days]
    return days


def _time(text: str) -> dict[str, int]:
    hour, minute = (int(part) for part in text.split(":"))
    if hour > 23 or minute > 59:  # noqa: PLR2004 - a clock's bounds
        raise WindowsError(f"{text} is not a time of day (00:00 to 23:59)")
    return {"hour": hour, "minute": minute}


def format_windows(windows: list[Any]) -> str:
    """The API's windows as one line; what is not a window is left out (the API wrote it)."""
    return "; ".join(_line(w) for w in windows if isinstance(w, dict))


def _line(window: dict[str, Any]) -> str:
    indexes = sorted(DAYS.index(d) for d in window.get("days") or [] if d in DAYS)
    return f"{_day_ranges(indexes)} {_clock(window.get('from'))}-{_clock(window.get('to'))}"


def _day_ranges(indexes: list[int]) -> str:
    ranges: list[list[int]] = []
    for i in indexes:
        if ranges and ranges[-1][-1] == i - 1:
            ranges[-1].append(i)
        else:
            ranges.append([i])
    names = [DAYS[i][:3].title() for i in range(7)]
    return ",".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}-{names[r[-1]]}" for r in ranges)


def _clock(time: Any) -> str:
    time = time if isinstance(time, dict) else {}
    return f"{int(time.get('hour') or 0):02d}:{int(time.get('minute') or 0):02d}"
