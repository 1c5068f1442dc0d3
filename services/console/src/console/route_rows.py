"""A route's criteria and destinations as rows of form fields, each row to and from the API's
shape (Infobip's RouteRequest), pure.

A criterion row: the called number (`to`), the caller's type and its pattern (`from`,
`username`, `identity` or `callsConfigurationId`, by type). A destination row: its type, its
value (phone number, SIP user, WebRTC identity, WhatsApp number, URL or application id),
priority, weight, connect timeout and time windows (`Mon-Fri 08:00-18:00; Sat 09:00-12:00`).
What a row has beyond these (SIP headers, WebRTC custom data, a caller id, recording…) rides in
a hidden field and goes back unchanged, as long as the row keeps its type.

Rows are added and removed by submit buttons (`op`), so the form works without JavaScript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from console.api_errors import ApiProblem
from console.time_windows import WindowsError, format_windows, parse_windows

MAX_CRITERIA = 50  # the default criteria-per-route quota; the API names a lower one
MAX_DESTINATIONS = 10  # the API's bound
MAX_TEXT = 2048
MAX_EXTRA = 4000
MAX_DIGITS = 6  # longer is no priority, weight or timeout the API takes: sent as typed
# 4 fields per criterion row, 7 per destination row, the route's own fields, CSRF and op
MAX_FIELDS = MAX_CRITERIA * 4 + MAX_DESTINATIONS * 7 + 10

CALLER_TYPES = {  # caller type → the criterion value's pattern field
    "PHONE": "from",
    "SIP": "username",
    "WEBRTC": "identity",
    "APPLICATION": "callsConfigurationId",
    "WHATSAPP": "from",
}
CALLER_LABELS = {
    "": "Any caller",
    "PHONE": "Phone",
    "SIP": "SIP",
    "WEBRTC": "WebRTC",
    "APPLICATION": "Calls configuration",
    "WHATSAPP": "WhatsApp",
}
ENDPOINTS = {
    "PHONE": "phoneNumber",
    "SIP": "username",
    "WEBRTC": "identity",
    "WHATSAPP": "phoneNumber",
}
DESTINATION_LABELS = {
    "PHONE": "Phone number",
    "SIP": "SIP user",
    "WEBRTC": "WebRTC identity",
    "WHATSAPP": "WhatsApp number",
    "URL": "URL (asks your platform where to)",
    "APPLICATION": "Calls application",
}
_TAG = re.compile(r"^[A-Z_]+$")  # pydantic's union tags in an error path (ENDPOINT, PHONE…)
_EDITED_DESTINATION = {"type", "value", "url", "priority", "weight", "connectTimeout"}


@dataclass
class CriterionRow:
    to: str = ""
    caller_type: str = ""
    caller: str = ""
    extra: str = ""  # JSON of the value's other fields, kept while the caller type stays


@dataclass
class DestinationRow:
    kind: str = "PHONE"
    value: str = ""
    priority: str = ""
    weight: str = ""
    timeout: str = ""
    windows: str = ""
    extra: str = ""  # JSON {"kind", "top", "value"}: fields the form does not edit


@dataclass
class RouteRows:
    criteria: list[CriterionRow] = field(default_factory=list)
    destinations: list[DestinationRow] = field(default_factory=list)
    focus: str | None = None  # the field a just-added row puts the cursor in

    @classmethod
    def new(cls) -> RouteRows:
        return cls(destinations=[DestinationRow()])

    def apply(self, op: str) -> RouteRows:
        """The rows after an add/remove button; an unknown op changes nothing."""
        criteria, destinations = list(self.criteria), list(self.destinations)
        focus = None
        if op == "add-criterion" and len(criteria) < MAX_CRITERIA:
            criteria.append(CriterionRow())
            focus = f"criteria-{len(criteria) - 1}-to"
        elif op == "add-destination" and len(destinations) < MAX_DESTINATIONS:
            destinations.append(DestinationRow())
            focus = f"destinations-{len(destinations) - 1}-type"
        elif (index := _removed(op, "remove-criterion-")) is not None and index < len(criteria):
            del criteria[index]
            focus = "add-criterion"
        elif (index := _removed(op, "remove-destination-")) is not None and index < len(
            destinations
        ):
            del destinations[index]
            focus = "add-destination"
        return RouteRows(criteria, destinations, focus)


def _removed(op: str, prefix: str) -> int | None:
    digits = op.removeprefix(prefix)
    return (
        int(digits)
        if op.startswith(prefix) and digits.isdigit() and len(digits) <= MAX_DIGITS
        else None
    )


def _text(form: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str:
    raw = form.get(name)
    return str(raw).strip()[:limit] if isinstance(raw, str) else ""


def rows_of_form(form: Mapping[str, Any]) -> RouteRows:
    """The rows a posted form holds (numbered from 0 without gaps; bounded)."""
    criteria = []
    for i in range(MAX_CRITERIA):
        prefix = f"criteria-{i}-"
        if f"{prefix}type" not in form:
            break
        caller_type = _text(form, f"{prefix}type", 16)
        criteria.append(
            CriterionRow(
                to=_text(form, f"{prefix}to", 255),
                caller_type=caller_type if caller_type in CALLER_TYPES else "",
                caller=_text(form, f"{prefix}caller", 255),
                extra=_text(form, f"{prefix}extra", MAX_EXTRA),
            )
        )
    destinations = []
    for i in range(MAX_DESTINATIONS):
        prefix = f"destinations-{i}-"
        if f"{prefix}type" not in form:
            break
        kind = _text(form, f"{prefix}type", 16)
        destinations.append(
            DestinationRow(
                kind=kind if kind in DESTINATION_LABELS else "PHONE",
                value=_text(form, f"{prefix}value"),
                priority=_text(form, f"{prefix}priority", 8),
                weight=_text(form, f"{prefix}weight", 8),
                timeout=_text(form, f"{prefix}timeout", 8),
                windows=_text(form, f"{prefix}windows", 500),
                extra=_text(form, f"{prefix}extra", MAX_EXTRA),
            )
        )
    return RouteRows(criteria, destinations)


def rows_of_route(route: Mapping[str, Any]) -> RouteRows:
    """The rows of a stored route (the API's GET answer)."""
    criteria = [_criterion_row(c) for c in route.get("criteria") or [] if isinstance(c, dict)]
    destinations = [
        _destination_row(d) for d in route.get("destinations") or [] if isinstance(d, dict)
    ]
    return RouteRows(criteria[:MAX_CRITERIA], destinations[:MAX_DESTINATIONS])


def _criterion_row(criterion: Mapping[str, Any]) -> CriterionRow:
    value = _dict(criterion.get("value"))
    caller_type = str(value.get("type") or "")
    if caller_type not in CALLER_TYPES:
        return CriterionRow(to=str(criterion.get("to") or ""))
    pattern = CALLER_TYPES[caller_type]
    others = {k: v for k, v in value.items() if k not in {"type", pattern}}
    return CriterionRow(
        to=str(criterion.get("to") or ""),
        caller_type=caller_type,
        caller=str(value.get(pattern) or ""),
        extra=json.dumps(others) if others else "",
    )


def _destination_row(destination: Mapping[str, Any]) -> DestinationRow:
    value = _dict(destination.get("value"))
    kind = str(destination.get("type") or "")
    if kind == "ENDPOINT":
        kind = str(value.get("type") or "PHONE")
    shown = {
        "URL": str(destination.get("url") or value.get("url") or ""),
        "APPLICATION": str(value.get("applicationId") or ""),
    }.get(kind, str(value.get(ENDPOINTS.get(kind, "")) or ""))
    top = {
        k: v
        for k, v in destination.items()
        if k not in _EDITED_DESTINATION and k != "allowedTimeWindows"
    }
    value_extra = {k: v for k, v in value.items() if k not in {"type", *ENDPOINTS.values()}}
    value_extra.pop("applicationId", None)
    value_extra.pop("url", None)
    if kind == "APPLICATION" and "type" in value:
        value_extra["type"] = value["type"]  # CALLS_ or INFOBIP_APPLICATION
    extra = {"kind": kind, "top": top, "value": value_extra} if top or value_extra else None
    windows = destination.get("allowedTimeWindows")
    return DestinationRow(
        kind=kind,
        value=shown,
        priority=_number_text(destination.get("priority")),
        weight=_number_text(destination.get("weight")),
        timeout=_number_text(destination.get("connectTimeout")),
        windows=format_windows(windows) if isinstance(windows, list) else "",
        extra=json.dumps(extra) if extra else "",
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number_text(value: Any) -> str:
    return "" if value is None else str(value)


def _loads(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _number(text: str) -> int | str:
    # A number the API can bound; anything else goes as typed, for the API to name.
    return int(text) if text.isdigit() and len(text) <= MAX_DIGITS else text


def route_lists(rows: RouteRows) -> tuple[dict[str, Any], dict[str, str]]:
    """`criteria` and `destinations` of the API's body, and what the console itself refuses
    (a time window it cannot read), keyed like the API's errors
    (`destinations.0.allowedTimeWindows`)."""
    refused: dict[str, str] = {}
    criteria = []
    for row in rows.criteria:
        criterion: dict[str, Any] = {}
        if row.to:
            criterion["to"] = row.to
        if row.caller_type:
            value: dict[str, Any] = {**_loads(row.extra), "type": row.caller_type}
            if row.caller:
                value[CALLER_TYPES[row.caller_type]] = row.caller
            criterion["value"] = value
        criteria.append(criterion)
    destinations = []
    for i, destination_row in enumerate(rows.destinations):
        destination, problem = _destination(destination_row)
        if problem:
            refused[f"destinations.{i}.allowedTimeWindows"] = problem
        destinations.append(destination)
    return {"criteria": criteria, "destinations": destinations}, refused


def _destination(row: DestinationRow) -> tuple[dict[str, Any], str | None]:
    extra = _loads(row.extra)
    kept = extra if extra.get("kind") == row.kind else {}
    top, inner = _dict(kept.get("top")), _dict(kept.get("value"))
    destination: dict[str, Any] = dict(top)
    if row.kind in ENDPOINTS:
        destination["type"] = "ENDPOINT"
        destination["value"] = {**inner, "type": row.kind, ENDPOINTS[row.kind]: row.value}
    elif row.kind == "URL":
        destination.update(type="URL", url=row.value)
    else:
        destination.update(type="APPLICATION", value={**inner, "applicationId": row.value})
    for key, text in (("priority", row.priority), ("weight", row.weight)):
        if text:
            destination[key] = _number(text)
    if row.timeout:
        destination["connectTimeout"] = _number(row.timeout)
    if not row.windows:
        return destination, None
    try:
        destination["allowedTimeWindows"] = parse_windows(row.windows)
    except WindowsError as exc:
        return destination, str(exc)
    return destination, None


def row_messages(problem: ApiProblem | None) -> dict[str, str]:
    """The API's messages about criteria and destinations, keyed by the form control they are
    about (`destinations-0-value`), or by the row (`destinations-0`) or the list
    (`destinations`) when no one control is."""
    if problem is None:
        return {}
    found: dict[str, list[str]] = {}
    for key, message in problem.fields.items():
        target = _control_of(key)
        if target is not None:
            found.setdefault(target, []).append(message)
    return {target: "; ".join(messages) for target, messages in found.items()}


_DESTINATION_CONTROLS = {
    "url": "value",
    "phoneNumber": "value",
    "username": "value",
    "identity": "value",
    "applicationId": "value",
    "priority": "priority",
    "weight": "weight",
    "connectTimeout": "timeout",
}


def _control_of(key: str) -> str | None:
    # `criteria[0].value.from`, `destinations.0.ENDPOINT.value.PHONE.phoneNumber`
    parts = [p for p in re.split(r"[.\[\]]+", key) if p and not _TAG.fullmatch(p)]
    if not parts or parts[0] not in {"criteria", "destinations"}:
        return None
    head = parts[0]
    if len(parts) < 2 or not parts[1].isdigit():  # noqa: PLR2004 - a list index follows
        return head
    row = f"{head}-{parts[1]}"
    control = (_criterion_control if head == "criteria" else _destination_control)(parts[2:])
    return f"{row}-{control}" if control else row


def _criterion_control(inner: list[str]) -> str | None:
    if inner[:1] == ["to"]:
        return "to"
    if inner[:1] != ["value"]:
        return None
    leaf = inner[1] if len(inner) > 1 else "type"
    if leaf in CALLER_TYPES.values():
        return "caller"
    return "type" if leaf == "type" else None


def _destination_control(inner: list[str]) -> str | None:
    if inner[:1] == ["allowedTimeWindows"]:
        return "windows"
    leaf = inner[-1] if inner else "type"
    if leaf in _DESTINATION_CONTROLS and (len(inner) == 1 or inner[0] == "value"):
        return _DESTINATION_CONTROLS[leaf]
    return "type" if inner in ([], ["type"]) else None


def placed_keys(problem: ApiProblem | None) -> set[str]:
    """The field keys `row_messages` places somewhere on the route form."""
    if problem is None:
        return set()
    return {key for key in problem.fields if _control_of(key) is not None}
