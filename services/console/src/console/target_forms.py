"""The forms of the account's call targets (routes, IVR scenarios, calls configurations, masking
configurations) and the API bodies made from them, each from the other (pure).

A form field carries the API's field name, so the API's error about `script[2].then[0]` lands
next to the `script` field. An IVR script is edited as JSON: the console checks only that it
parses; the API checks the rest. A route's criteria and destinations are rows of fields
(`route_rows`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from console.api_errors import ApiProblem

Control = Literal["text", "textarea", "select", "checkbox", "number", "json"]
_HEAD = re.compile(r"[^.\[]*")
LIST_SIZE = 100  # the APIs' largest page
MAX_JSON = 32_000  # below the API's 64k body: a larger script is refused here, not by nginx


@dataclass(frozen=True)
class FormField:
    name: str  # the API's field name, also the form control's name and id
    label: str
    control: Control = "text"
    options: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 500
    hint: str = ""
    create_only: bool = False  # an id chosen once: shown on create, read-only afterwards


@dataclass(frozen=True)
class Kind:
    slug: str  # the console's path part: /console/{slug}
    title: str
    singular: str
    api: str  # the collection's path in the public API
    id_key: str  # the item's id field in the API's answer
    fields: tuple[FormField, ...]
    columns: tuple[tuple[str, str], ...]  # (heading, API field) of the list's table
    list_params: dict[str, Any] = field(default_factory=dict)
    first_page: int | None = None  # the API's first page number; None: the list is not paged
    shown_once: str | None = None  # a field the create answer holds once (never stored here)
    edit_fields: tuple[str, ...] | None = None  # what PUT accepts, when not every field
    rows: bool = False  # a route: criteria and destinations as rows of fields (`route_rows`)


SCRIPT_EXAMPLE = '[{"say": "Hello"}]'

ROUTES = Kind(
    slug="routes",
    title="Call routes",
    singular="route",
    api="/callrouting/1/routes",
    id_key="id",
    fields=(
        FormField("name", "Name", required=True, max_length=255),
        FormField("timeZone", "Time zone of the time windows (IANA)", max_length=64),
        FormField("transferOnly", "Transfer only", "checkbox"),
    ),
    columns=(("Order", "order"), ("Status", "status"), ("Version", "version")),
    list_params={"size": LIST_SIZE},
    first_page=0,
    rows=True,
)
SCENARIOS = Kind(
    slug="ivr",
    title="IVR scenarios",
    singular="IVR scenario",
    api="/voice/ivr/1/scenarios",
    id_key="id",
    fields=(
        FormField("name", "Name", required=True, max_length=255),
        FormField("description", "Description", "textarea", max_length=1000),
        FormField(
            "script",
            "Script (JSON list of steps)",
            "json",
            required=True,
            hint='E.g. [{"say": "Press 1 for sales"}, {"collectInto": "choice"}, '
            '{"dial": "41793026727"}]',
        ),
        FormField(
            "notifyUrl",
            "Notify URL (events of each run are POSTed here, signed)",
            max_length=2048,
        ),
        FormField(
            "notifyContentType",
            "Notify content type",
            "select",
            options=("", "application/json", "application/x-www-form-urlencoded"),
        ),
        FormField("record", "Record the calls", "checkbox"),
    ),
    columns=(("Version", "version"), ("Updated", "updateTime"), ("Last used", "lastUsageDate")),
    list_params={"pageSize": LIST_SIZE},
    first_page=1,
    shown_once="notifySecret",
)
CALLS_CONFIGURATIONS = Kind(
    slug="calls-configurations",
    title="Calls configurations",
    singular="calls configuration",
    api="/calls/1/configurations",
    id_key="id",
    fields=(
        FormField(
            "id",
            "Id (letters, digits, - and _; generated when empty)",
            max_length=128,
            create_only=True,
        ),
        FormField("name", "Name", required=True, max_length=128),
    ),
    columns=(),
    list_params={"size": LIST_SIZE},
    first_page=0,
    edit_fields=("name",),
)
MASKING = Kind(
    slug="masking",
    title="Number masking configurations",
    singular="masking configuration",
    api="/voice/masking/2/config",
    id_key="key",
    fields=(
        FormField("name", "Name (letters, digits and spaces)", required=True, max_length=100),
        FormField("callbackUrl", "Callback URL", required=True, max_length=2048),
        FormField("statusUrl", "Status URL", max_length=2048),
        FormField("backupCallbackUrl", "Backup callback URL", max_length=2048),
        FormField("backupStatusUrl", "Backup status URL", max_length=2048),
        FormField("description", "Description", "textarea", max_length=500),
        FormField("connectTimeoutMs", "Connect timeout (ms, 200 to 10000)", "number", max_length=6),
        FormField("totalTimeoutMs", "Total timeout (ms, 200 to 10000)", "number", max_length=6),
    ),
    columns=(("Callback URL", "callbackUrl"),),
)
KINDS = {kind.slug: kind for kind in (ROUTES, SCENARIOS, CALLS_CONFIGURATIONS, MASKING)}


def editable(kind: Kind, creating: bool) -> tuple[FormField, ...]:
    if creating:
        return kind.fields
    allowed = kind.edit_fields
    return tuple(
        f for f in kind.fields if not f.create_only and (allowed is None or f.name in allowed)
    )


def form_values(kind: Kind, form: Mapping[str, Any]) -> dict[str, str]:
    """The kind's fields from a posted form, stripped and bounded; unknown fields ignored."""
    values = {}
    for f in kind.fields:
        limit = MAX_JSON if f.control == "json" else f.max_length
        raw = form.get(f.name)
        values[f.name] = str(raw).strip()[:limit] if isinstance(raw, str) else ""
    return values


def body_of(
    kind: Kind, values: Mapping[str, str], creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The POST/PUT body, and the fields the console itself refuses (JSON that does not parse).

    An empty required field is sent empty so that the API names it; an empty optional one is
    left out (the API's default)."""
    body: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for f in editable(kind, creating):
        value = values.get(f.name, "")
        if f.control == "checkbox":
            body[f.name] = value == "on"
        elif f.control == "json":
            if not value and not f.required:
                continue
            try:
                parsed = json.loads(value or "null")
            except ValueError as exc:
                refused[f.name] = f"not valid JSON: {exc}"
                continue
            if not isinstance(parsed, list):
                refused[f.name] = "must be a JSON list: [ … ]"
                continue
            body[f.name] = parsed
        elif f.control == "number" and value:
            body[f.name] = int(value) if value.isdigit() else value
        elif value or f.required:
            body[f.name] = value
    return body, refused


def values_of(kind: Kind, item: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's values for a stored item (the API's GET answer), or a new one's defaults."""
    values = dict.fromkeys((f.name for f in kind.fields), "")
    if item is None:
        if kind is ROUTES:
            values["timeZone"] = "UTC"
        if kind is SCENARIOS:
            values["script"] = SCRIPT_EXAMPLE
        return values
    for f in kind.fields:
        value = item.get(f.name)
        if f.control == "checkbox":
            values[f.name] = "on" if value else ""
        elif f.control == "json":
            values[f.name] = json.dumps(value if value is not None else [], indent=2)
        elif value is not None:
            values[f.name] = str(value)
    return values


def field_message(problem: ApiProblem | None, name: str) -> str | None:
    """Every message the API (or the console) gave about `name` or anything inside it
    (`destinations.0.ENDPOINT.value.PHONE.phoneNumber` is about `destinations`), with the inner
    path kept so that a long JSON list still says where."""
    if problem is None:
        return None
    found = []
    for key, message in problem.fields.items():
        head, inner = _split(key)
        if head == name:
            found.append(f"{inner}: {message}" if inner else message)
    return "; ".join(found) or None


def _split(key: str) -> tuple[str, str]:
    """`script[0].say` → (`script`, `[0].say`); `destinations.0.url` → (`destinations`, `0.url`)."""
    found = _HEAD.match(key)
    head = found.group(0) if found else key
    inner = key[len(head) :]
    return head, inner.removeprefix(".")


def unplaced(problem: ApiProblem | None, names: tuple[str, ...]) -> dict[str, str]:
    """The API's field messages that no field of the form is about (shown with the page's error)."""
    if problem is None:
        return {}
    return {k: m for k, m in problem.fields.items() if _split(k)[0] not in names}


def with_refused(problem: ApiProblem | None, refused: dict[str, str]) -> ApiProblem:
    text = problem.text if problem else "Fix the fields marked below."
    return ApiProblem(text, {**(problem.fields if problem else {}), **refused})
