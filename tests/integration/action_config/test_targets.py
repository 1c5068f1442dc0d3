"""Routes, calls configurations and IVR scenarios: Infobip shapes, account scope, refusals."""

from __future__ import annotations

import re

import pytest

from tests.integration.action_config.targets import (
    SCRIPT,
    create_calls_configuration,
    create_route,
    create_scenario,
    route_body,
)
from tests.integration.action_config.world import Tenant, World
from tests.support import unique

pytestmark = pytest.mark.integration
ROUTES = "/callrouting/1/routes"


async def test_route_lifecycle_order_status_and_simulate(tenant: Tenant) -> None:
    broad = await create_route(tenant, to="41(.+)")
    narrow = await create_route(tenant, to="41793026731")
    assert broad["status"] == "ENABLED"
    assert (broad["order"], narrow["order"]) == (1, 2)

    simulate = {"to": "41793026731", "endpoint": {"type": "PHONE", "phoneNumber": "4930123"}}
    hit = await tenant.call("POST", f"{ROUTES}/simulate", json=simulate)
    assert hit.status_code == 200
    assert hit.json()["id"] == broad["id"]

    moved = await tenant.call("PATCH", f"{ROUTES}/{narrow['id']}", json={"order": 1})
    assert moved.json()["order"] == 1
    off = await tenant.call(
        "POST", f"{ROUTES}/{broad['id']}/status", json={"routeStatus": "DISABLED"}
    )
    assert off.json()["status"] == "DISABLED"
    assert off.json()["version"] == 2

    hit = await tenant.call("POST", f"{ROUTES}/simulate", json=simulate)
    assert hit.json()["id"] == narrow["id"]
    elsewhere = {"to": "33100000000", "endpoint": {"type": "PHONE", "phoneNumber": "4930123"}}
    miss = await tenant.call("POST", f"{ROUTES}/simulate", json=elsewhere)
    assert miss.status_code == 404
    assert "no route matches" in miss.text
    with_disabled = await tenant.call(
        "POST", f"{ROUTES}/simulate", json={**elsewhere, "to": "4133", "useDisabledRoutes": True}
    )
    assert with_disabled.json()["id"] == broad["id"]

    page = (await tenant.call("GET", ROUTES, params={"size": 1})).json()
    assert page["paging"] == {"page": 0, "size": 1, "totalPages": 2, "totalResults": 2}
    replaced = await tenant.call("PUT", f"{ROUTES}/{narrow['id']}", json=route_body("4122(.*)"))
    # Infobip omits unset fields; callplane never answers null for them.
    assert replaced.json()["criteria"] == [{"to": "4122(.*)"}]
    deleted = await tenant.call("DELETE", f"{ROUTES}/{narrow['id']}")
    assert deleted.status_code == 200
    assert (await tenant.call("GET", f"{ROUTES}/{narrow['id']}")).status_code == 404


@pytest.mark.parametrize(
    ("body_change", "field"),
    [
        ({"criteria": [{"to": "(\\d)\\1"}]}, "criteria[0].to"),
        ({"criteria": [{"to": "4" * 300}]}, "criteria[0].to"),
        ({"criteria": [{"value": {"type": "PHONE", "from": "(?=4)"}}]}, "criteria[0].value.from"),
        ({"destinations": []}, "destinations"),
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
    ],
)
async def test_unsafe_or_invalid_route_is_refused(
    tenant: Tenant, body_change: dict[str, object], field: str
) -> None:
    reply = await tenant.call("POST", ROUTES, json={**route_body(), **body_change})
    assert reply.status_code == 400, reply.text
    # Call Routing answers Infobip's ApiError, naming the field in `violations`.
    # Field paths as the pattern check (`criteria[0].to`) or pydantic (`criteria.0.to`) name them.
    violated = {re.sub(r"\.(\d+)", r"[\1]", v["property"]) for v in reply.json()["violations"]}
    assert any(p.startswith(field) for p in violated), violated


async def test_calls_configurations(tenant: Tenant) -> None:
    own_id = unique("cfg")
    made = await tenant.call("POST", "/calls/1/configurations", json={"id": own_id, "name": "a"})
    assert made.status_code == 201
    assert made.json() == {"id": own_id, "name": "a"}
    twice = await tenant.call("POST", "/calls/1/configurations", json={"id": own_id, "name": "b"})
    assert twice.status_code == 409
    bad = await tenant.call(
        "POST", "/calls/1/configurations", json={"id": "no spaces!", "name": "x"}
    )
    assert "id" in bad.json()["requestError"]["serviceException"]["validationErrors"]
    generated = await create_calls_configuration(tenant)
    assert generated != own_id
    renamed = await tenant.call("PUT", f"/calls/1/configurations/{own_id}", json={"name": "b"})
    assert renamed.json()["name"] == "b"
    listed = (await tenant.call("GET", "/calls/1/configurations")).json()
    assert {c["id"] for c in listed["results"]} == {own_id, generated}
    assert listed["paging"]["totalResults"] == 2
    assert (await tenant.call("DELETE", f"/calls/1/configurations/{own_id}")).status_code == 200
    assert (await tenant.call("GET", f"/calls/1/configurations/{own_id}")).status_code == 404


@pytest.mark.parametrize(
    ("script", "field"),
    [
        ([{"say": "hi"}, {"launchRocket": True}], "script[1]"),
        ([{"dialToMany": [{"dial": "4179"}]}], "script[0]"),
        ([{"if": "x", "then": [{"say": "a", "colour": "red"}]}], "script[0].then[0]"),
        ([], "script"),
    ],
)
async def test_scenario_script_is_checked(tenant: Tenant, script: list[object], field: str) -> None:
    reply = await tenant.call(
        "POST", "/voice/ivr/1/scenarios", json={"name": "x", "script": script}
    )
    assert reply.status_code == 400, reply.text
    assert list(reply.json()["requestError"]["serviceException"]["validationErrors"]) == [field]


async def test_scenario_crud(tenant: Tenant) -> None:
    scenario_id = await create_scenario(tenant)
    got = (await tenant.call("GET", f"/voice/ivr/1/scenarios/{scenario_id}")).json()
    assert got["script"] == SCRIPT
    put = await tenant.call(
        "PUT",
        f"/voice/ivr/1/scenarios/{scenario_id}",
        json={"name": "new", "script": [{"hangup": ""}]},
    )
    assert put.json()["name"] == "new"
    assert put.json()["createTime"] == got["createTime"]
    listed = (await tenant.call("GET", "/voice/ivr/1/scenarios")).json()
    assert [s["id"] for s in listed] == [scenario_id]
    deleted = await tenant.call("DELETE", f"/voice/ivr/1/scenarios/{scenario_id}")
    assert deleted.status_code == 200  # Infobip answers 200 with the deleted scenario
    assert deleted.json()["id"] == scenario_id


async def test_deleting_a_target_in_use_is_refused_naming_the_numbers(
    world: World, tenant: Tenant
) -> None:
    route = await create_route(tenant)
    config = await create_calls_configuration(tenant)
    scenario = await create_scenario(tenant)
    uses = [
        ({"type": "FORWARD_TO_CALL_ROUTING", "routeId": route["id"]}, f"{ROUTES}/{route['id']}"),
        (
            {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": config},
            f"/calls/1/configurations/{config}",
        ),
        ({"type": "FORWARD_TO_IVR", "scenarioKey": scenario}, f"/voice/ivr/1/scenarios/{scenario}"),
    ]
    for action, target in uses:
        number = await world.lease(tenant)
        assert (await tenant.call("POST", number.voice, json={"action": action})).status_code == 200
        refused = await tenant.call("DELETE", target)
        assert refused.status_code == 409
        assert number.number in refused.text
        assert (await tenant.call("DELETE", number.voice)).status_code == 204
        assert (await tenant.call("DELETE", target)).status_code in {200, 204}
