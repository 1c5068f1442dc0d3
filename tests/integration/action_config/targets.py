"""Creating the targets voice actions point to, through the public API."""

from __future__ import annotations

from typing import Any

from tests.integration.action_config.world import Tenant, fresh_number
from tests.support import unique

SCRIPT: list[dict[str, Any]] = [
    {"say": "Welcome, press 1 for sales", "options": {"language": "en"}},
    {"collectInto": "choice", "options": {"maxInputLength": 1, "timeout": 5}},
    {"if": "${choice} == '1'", "then": [{"dial": "41793026727"}], "else": [{"hangup": ""}]},
]


def route_body(to: str | None = None, **extra: Any) -> dict[str, Any]:
    criteria = [{"to": to}] if to else []
    return {
        "name": unique("route"),
        "criteria": criteria,
        "destinations": [
            {"type": "ENDPOINT", "value": {"type": "PHONE", "phoneNumber": fresh_number()}}
        ],
        **extra,
    }


async def create_route(tenant: Tenant, to: str | None = None, **extra: Any) -> dict[str, Any]:
    reply = await tenant.call("POST", "/callrouting/1/routes", json=route_body(to, **extra))
    assert reply.status_code == 201, reply.text
    route: dict[str, Any] = reply.json()
    return route


async def create_calls_configuration(tenant: Tenant) -> str:
    reply = await tenant.call("POST", "/calls/1/configurations", json={"name": "support"})
    assert reply.status_code == 201, reply.text
    config_id: str = reply.json()["id"]
    return config_id


async def create_scenario(tenant: Tenant) -> str:
    body = {"name": unique("ivr"), "script": SCRIPT}
    reply = await tenant.call("POST", "/voice/ivr/1/scenarios", json=body)
    assert reply.status_code == 200, reply.text
    scenario_id: str = reply.json()["id"]
    return scenario_id
