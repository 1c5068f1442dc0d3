"""Builders of call-dispatch's inputs, shared by its unit and integration tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from callplane_shared.events import (
    InboundCall,
    IvrScenarioPublished,
    RouteUpserted,
    VoiceActionSet,
    utc_now,
)
from callplane_shared.routing import Route
from callplane_shared.voice import Fallback, VoiceAction
from tests.support import unique

# A Monday, 10:00 UTC: route time windows are read at the call's receivedAt.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SUNDAY_03 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def unique_number() -> str:
    """A valid Swiss mobile number no other test uses (7 random digits after +4179)."""
    while True:
        candidate = f"+4179{random.randrange(10**7):07d}"  # noqa: S311 - not security
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate


def action_set(
    number: str,
    version: int,
    action: VoiceAction | None,
    *,
    account_id: str = "acc-test",
    voice_capable: bool = True,
    fallback: Fallback | None = None,
) -> VoiceActionSet:
    return VoiceActionSet(
        number=number,
        number_key=unique("nk").replace("-", "").upper()[:32].ljust(32, "0"),
        account_id=account_id,
        voice_capable=voice_capable,
        version=version,
        action=action,
        fallback=fallback,
    )


def scenario_record(
    scenario_id: str,
    version: int,
    *,
    account_id: str = "acc-test",
    script: list[Any] | None = None,
) -> tuple[bytes, bytes]:
    """An `ivr.scenarios` record (key, value) as action-config publishes it."""
    event = IvrScenarioPublished(
        scenario_id=scenario_id,
        account_id=account_id,
        version=version,
        name="menu",
        script=script if script is not None else [{"say": f"version {version}"}],
    )
    return scenario_id.encode(), event.model_dump_json(by_alias=True).encode()


def inbound(to: str, *, caller: str = "+41445550100", **kwargs: Any) -> InboundCall:
    fields: dict[str, Any] = {"received_at": utc_now(), **kwargs}
    return InboundCall(call_id=unique("call"), from_=caller, to=to, **fields)


def route(
    account_id: str,
    *,
    order: int = 1,
    version: int = 1,
    to: str | None = None,
    caller: str | None = None,
    phone: str = "+41445550199",
    windows: list[dict[str, Any]] | None = None,
    status: str = "ENABLED",
    route_id: str | None = None,
) -> Route:
    criteria: list[dict[str, Any]] = []
    if to is not None or caller is not None:
        value = {"type": "PHONE", "from": caller} if caller is not None else None
        criteria.append({"to": to, "value": value})
    destination: dict[str, Any] = {
        "type": "ENDPOINT",
        "value": {"type": "PHONE", "phoneNumber": phone},
    }
    if windows is not None:
        destination["allowedTimeWindows"] = windows
    return Route.model_validate(
        {
            "id": route_id or unique("route"),
            "name": "test route",
            "criteria": criteria,
            "destinations": [destination],
            "status": status,
            "order": order,
            "accountId": account_id,
            "version": version,
        }
    )


def route_upserted(r: Route) -> RouteUpserted:
    return RouteUpserted(route_id=r.id, account_id=r.account_id, version=r.version, route=r)


WEEKDAYS_9_TO_17 = [
    {
        "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
        "from": {"hour": 9},
        "to": {"hour": 17},
    }
]
