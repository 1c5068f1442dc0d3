"""Checks of a route that pydantic cannot express: every pattern must be safe to match."""

from __future__ import annotations

from callplane_shared.routing.models import (
    PhoneCriteria,
    RouteRequest,
    SipCriteria,
    WebRtcCriteria,
    WhatsAppCriteria,
)
from callplane_shared.routing.patterns import UnsafePatternError, validate_pattern


def _check(errors: dict[str, list[str]], field: str, pattern: str | None) -> None:
    if pattern is None:
        return
    try:
        validate_pattern(pattern)
    except UnsafePatternError as exc:
        errors.setdefault(field, []).append(str(exc))


def route_pattern_errors(route: RouteRequest) -> dict[str, list[str]]:
    """Field path → problems, e.g. `{"criteria[0].to": ["lookarounds ..."]}`."""
    errors: dict[str, list[str]] = {}
    for i, criteria in enumerate(route.criteria):
        _check(errors, f"criteria[{i}].to", criteria.to)
        value = criteria.value
        if isinstance(value, PhoneCriteria | WhatsAppCriteria):
            _check(errors, f"criteria[{i}].value.from", value.from_)
        elif isinstance(value, SipCriteria):
            _check(errors, f"criteria[{i}].value.username", value.username)
        elif isinstance(value, WebRtcCriteria):
            _check(errors, f"criteria[{i}].value.identity", value.identity)
    return errors
