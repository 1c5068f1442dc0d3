"""An IVR call reaches the media server with its scenario version and a reference to its script,
and the media server can fetch that script from the adapter (bounded, by scenario version)."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callplane_shared.events import ConversationsInstruction, IvrInstruction
from callplane_shared.http_errors import install_error_handlers
from callplane_sip_edge.ivr_scripts import IvrScripts, scripts_router
from callplane_sip_edge.plan import EdgeRoutes, Relay, plan_for
from tests.unit.sip_edge.builders import MEDIA, ROUTES, decision
from tests.unit.sip_edge.test_edge import edge_with, invite

pytestmark = pytest.mark.unit
CALLER = "+41791234567"
SCRIPT = [{"say": "Grüezi"}, {"collectInto": "choice", "options": {"maxInputLength": 1}}]
IVR = IvrInstruction(
    scenario_key="sc-1", scenario_id="sc-1", scenario_version=3, script=SCRIPT, record=True
)
WITH_URL = EdgeRoutes(ROUTES.gateways, MEDIA, "http://edge.test:8110/")


def test_an_ivr_invite_names_the_scenario_version_and_its_script() -> None:
    plan = plan_for(decision(IVR), CALLER, WITH_URL)
    assert isinstance(plan, Relay)
    assert plan.destinations == (MEDIA,)
    compact = json.dumps(SCRIPT, separators=(",", ":"), ensure_ascii=False).encode()
    assert {k: v for k, v in plan.headers.items() if k != "X-Callplane-Call-Id"} == {
        "X-Callplane-Kind": "ivr",
        "X-Callplane-Account-Id": "acc-1",
        "X-Callplane-Scenario-Key": "sc-1",
        "X-Callplane-Scenario-Id": "sc-1",
        "X-Callplane-Scenario-Version": "3",
        "X-Callplane-Record": "true",
        "X-Callplane-Script-Sha256": hashlib.sha256(compact).hexdigest(),
        "X-Callplane-Script-Url": "http://edge.test:8110/sip-edge/1/ivr-scripts/sc-1/3",
    }


def test_without_a_base_url_or_a_script_the_invite_says_what_it_can() -> None:
    no_url = plan_for(decision(IVR), CALLER, ROUTES)
    assert isinstance(no_url, Relay)
    assert "X-Callplane-Script-Url" not in no_url.headers
    assert no_url.headers["X-Callplane-Scenario-Version"] == "3"
    bare = plan_for(decision(IvrInstruction(scenario_key="sc-2")), CALLER, WITH_URL)
    assert isinstance(bare, Relay)
    assert bare.headers["X-Callplane-Scenario-Key"] == "sc-2"
    assert "X-Callplane-Scenario-Version" not in bare.headers
    assert "X-Callplane-Script-Url" not in bare.headers


def test_a_conversations_invite_names_its_queue() -> None:
    target = ConversationsInstruction(account_id="acc-1", queue_id="support")
    plan = plan_for(decision(target), CALLER, ROUTES)
    assert isinstance(plan, Relay)
    assert plan.headers["X-Callplane-Queue-Id"] == "support"


async def test_the_decided_script_is_served_to_the_media_server() -> None:
    scripts = IvrScripts(10)
    edge, _, sent = edge_with(decision(IVR), scripts=scripts)
    await edge.on_message(invite("ivr@b"))
    await edge.drain()
    assert sent[0]["action"] == "relay"
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(scripts_router(scripts))
    with TestClient(app) as http:
        served = http.get("/sip-edge/1/ivr-scripts/sc-1/3")
        unknown = http.get("/sip-edge/1/ivr-scripts/sc-1/2")
        hostile = http.get("/sip-edge/1/ivr-scripts/" + "x" * 65 + "/1")
    assert served.status_code == 200
    assert served.json() == SCRIPT
    # the digest Kamailio put in the INVITE is the digest of what the media server gets
    assert hashlib.sha256(served.content).hexdigest() in json.dumps(sent[0])
    assert unknown.status_code == 404
    assert hostile.status_code == 400


def test_scripts_are_kept_once_per_version_and_bounded() -> None:
    scripts = IvrScripts(2)
    for version in (1, 2, 1, 3):  # 1 was used again after 2, so 2 is the least recent
        scripts.remember(IVR.model_copy(update={"scenario_version": version}))
    assert len(scripts) == 2
    assert scripts.get("sc-1", 2) is None
    assert scripts.get("sc-1", 1) is not None
    assert scripts.get("sc-1", 3) is not None
    scripts.remember(ConversationsInstruction())  # not IVR: nothing kept
    assert len(scripts) == 2
