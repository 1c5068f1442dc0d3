"""Real SIP calls through Kamailio and the sip-edge adapter, decided by callplane, seen on the
wire by SIPp: caller ID at the callee, failover from a busy destination, the documented reject
codes, the media server hand-over, CallStatus from the dialog, and one trace from the edge."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from callplane_shared.events import ForwardInstruction
from callplane_sip_edge.calls import call_id_for
from callplane_sip_edge.responses import REJECTS
from tests.e2e.journey import Customer, fresh_number
from tests.e2e.sip.conftest import EdgeEvents
from tests.e2e.sip.sipp import (
    CARRIER_1,
    CARRIER_2,
    CARRIER_3,
    MEDIA_SERVER,
    Callee,
    SipMessage,
    place_call,
    start_callee,
)
from tests.e2e.sip.voice import create, set_action, until_decided_as
from tests.e2e.test_traces import jaeger_trace
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer, answer
from tests.support import unique

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("sip_edge")]
CALLER = "+41791234567"
Account = tuple[Customer, httpx.AsyncClient]


def callee(workdir: Path, callees: list[Any], port: int, scenario: str = "callee.xml") -> Callee:
    started = start_callee(workdir, port, scenario)
    callees.append(started)
    return started


def user_of(header: str | None) -> str:
    assert header is not None
    return header.split("sip:", 1)[1].split("@", 1)[0]


async def test_a_forwarded_call_rings_the_gateway_and_bye_finishes_it_with_its_duration(
    endpoints: Endpoints,
    customer: Account,
    workdir: Path,
    callees: list[Any],
    edge_events: EdgeEvents,
) -> None:
    account, admin = customer
    number_key, number = await account.lease_fresh_number(admin)
    await set_action(account, number_key, {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026721"})
    await until_decided_as(endpoints.kafka, number, "forward")
    carrier = callee(workdir, callees, CARRIER_1)

    result = await place_call(workdir, number, CALLER, hold_ms=2000)

    assert result.returncode == 0, result.output
    invite = carrier.invites()[0]
    assert invite.first_line.startswith("INVITE sip:+41793026721@127.0.0.1:5081")
    call_id = call_id_for(result.sip_call_id)
    forward = (await edge_events.decision(call_id)).instruction
    assert isinstance(forward, ForwardInstruction)
    assert user_of(invite.header("From")) == forward.caller_id == CALLER
    assert user_of(invite.header("P-Asserted-Identity")) == CALLER
    assert invite.header("X-Callplane-Call-Id") == call_id
    for state in ("RINGING", "ESTABLISHED"):
        await edge_events.status(call_id, state)
    finished, _ = await edge_events.status(call_id, "FINISHED")
    assert finished.duration_seconds == 2  # SIPp held the answered call for 2 s
    assert finished.transfer_to == "+41793026721"


async def test_a_masked_call_carries_the_customers_caller_id_in_from_and_pai(
    endpoints: Endpoints,
    customer: Account,
    workdir: Path,
    callees: list[Any],
    edge_events: EdgeEvents,
) -> None:
    account, admin = customer
    number_key, number = await account.lease_fresh_number(admin)
    platform = CustomerServer()
    platform.start()
    try:
        path = f"/{unique('callback')}"
        url = platform.on(
            path,
            answer(
                {"command": "dial", "phoneNumber": "41793026722", "callerId": number.lstrip("+")}
            ),
        )
        config_key = await create(
            account,
            "/voice/masking/2/config",
            {"name": unique("sip").replace("-", " "), "callbackUrl": url},
            "key",
        )
        await set_action(
            account,
            number_key,
            {"type": "VOICE_NUMBER_MASKING", "voiceNumberMaskingConfigKey": config_key},
        )
        await until_decided_as(endpoints.kafka, number, "forward")
        carrier = callee(workdir, callees, CARRIER_2)

        result = await place_call(workdir, number, CALLER)
    finally:
        platform.stop()

    assert result.returncode == 0, result.output
    decision = await edge_events.decision(call_id_for(result.sip_call_id))
    assert decision.decided_by == "number-masking"
    assert isinstance(decision.instruction, ForwardInstruction)
    invite = carrier.invites()[0]
    # Masking: the callee sees the customer's virtual number, never the real caller.
    assert user_of(invite.header("From")) == decision.instruction.caller_id == number
    assert user_of(invite.header("P-Asserted-Identity")) == number


async def test_a_routed_call_fails_over_from_a_busy_destination_to_the_next(
    endpoints: Endpoints,
    customer: Account,
    workdir: Path,
    callees: list[Any],
    edge_events: EdgeEvents,
) -> None:
    account, admin = customer
    number_key, number = await account.lease_fresh_number(admin)
    route_id = await create(
        account,
        "/callrouting/1/routes",
        {
            "name": unique("sip-route"),
            "criteria": [],
            "destinations": [
                {
                    "type": "ENDPOINT",
                    "priority": 1,
                    "value": {"type": "PHONE", "phoneNumber": "41793026722"},
                },
                {
                    "type": "ENDPOINT",
                    "priority": 2,
                    "value": {"type": "PHONE", "phoneNumber": "41793026723"},
                },
            ],
        },
        "id",
    )
    await set_action(account, number_key, {"type": "FORWARD_TO_CALL_ROUTING", "routeId": route_id})
    await until_decided_as(endpoints.kafka, number, "call_routing")
    busy = callee(workdir, callees, CARRIER_2, "busy-callee.xml")
    second = callee(workdir, callees, CARRIER_3)

    result = await place_call(workdir, number, CALLER)

    assert result.returncode == 0, result.output
    assert result.final_response.first_line == "SIP/2.0 200 OK"
    assert busy.invites()[0].first_line.startswith("INVITE sip:+41793026722@")
    assert second.invites()[0].first_line.startswith("INVITE sip:+41793026723@")
    await edge_events.status(call_id_for(result.sip_call_id), "FINISHED")


@pytest.mark.parametrize(
    "case",
    [
        ("ivr", "X-Callplane-Scenario-Key"),
        ("subscription", "X-Callplane-Calls-Configuration-Id"),
        ("conversations", "X-Callplane-Kind"),
    ],
)
async def test_ivr_subscription_and_conversations_reach_the_media_server_with_their_ids(
    endpoints: Endpoints,
    customer: Account,
    workdir: Path,
    callees: list[Any],
    case: tuple[str, str],
) -> None:
    kind, header = case
    account, admin = customer
    number_key, number = await account.lease_fresh_number(admin)
    if kind == "ivr":
        target = await create(
            account,
            "/voice/ivr/1/scenarios",
            {"name": unique("sip-ivr"), "script": [{"say": "Hello"}]},
            "id",
        )
        action = {"type": "FORWARD_TO_IVR", "scenarioKey": target}
    elif kind == "subscription":
        target = await create(account, "/calls/1/configurations", {"name": unique("sip")}, "id")
        action = {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": target}
    else:
        target, action = "conversations", {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}
    await set_action(account, number_key, action)
    await until_decided_as(endpoints.kafka, number, kind)
    media = callee(workdir, callees, MEDIA_SERVER)

    result = await place_call(workdir, number, CALLER)

    assert result.returncode == 0, result.output
    invite = media.invites()[0]
    assert invite.first_line.startswith("INVITE sip:media@127.0.0.1:5090")
    assert invite.header(header) == target
    assert invite.header("X-Callplane-Account-Id") == account.account_id
    assert invite.header("X-Callplane-Call-Id") == call_id_for(result.sip_call_id)
    if kind == "ivr":
        await the_media_server_gets_the_decided_script(invite, target)
    if kind == "conversations":
        assert invite.header("X-Callplane-Queue-Id") == "default"


async def the_media_server_gets_the_decided_script(invite: SipMessage, scenario_id: str) -> None:
    """The INVITE names the scenario version and its script; the script is fetched from the
    adapter (SIP_IVR_SCRIPT_BASE_URL) and is the one the digest names."""
    assert invite.header("X-Callplane-Scenario-Id") == scenario_id
    assert invite.header("X-Callplane-Scenario-Version") == "1"
    url = invite.header("X-Callplane-Script-Url")
    assert url == f"http://127.0.0.1:8110/sip-edge/1/ivr-scripts/{scenario_id}/1"
    async with httpx.AsyncClient(timeout=10) as http:
        script = await http.get(url)
    assert script.status_code == 200, script.text
    assert script.json()[0]["say"] == "Hello"
    assert hashlib.sha256(script.content).hexdigest() == invite.header("X-Callplane-Script-Sha256")


async def test_rejects_get_their_documented_sip_answers(
    customer: Account, workdir: Path, edge_events: EdgeEvents
) -> None:
    account, admin = customer
    _, leased_without_action = await account.lease_fresh_number(admin)
    never_imported = fresh_number()

    for number, reason in (
        (leased_without_action, "NO_ACTION"),
        (never_imported, "NUMBER_NOT_IN_SERVICE"),
    ):
        result = await place_call(workdir, number, CALLER, scenario="rejected-caller.xml")
        assert result.returncode == 0, result.output
        final = result.final_response
        expected = REJECTS[reason]
        assert final.first_line == f"SIP/2.0 {expected.code} {expected.phrase}"
        assert final.header("X-Callplane-Reject-Reason") == reason
        assert final.header("Reason") == f'Q.850;cause={expected.q850};text="{reason}"'
        failed, _ = await edge_events.status(call_id_for(result.sip_call_id), "FAILED")
        assert failed.hangup_cause == f"SIP {expected.code} {reason}"


async def test_the_trace_of_a_sip_call_starts_at_the_adapter(
    endpoints: Endpoints,
    customer: Account,
    workdir: Path,
    callees: list[Any],
    edge_events: EdgeEvents,
) -> None:
    account, admin = customer
    number_key, number = await account.lease_fresh_number(admin)
    await set_action(account, number_key, {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026721"})
    await until_decided_as(endpoints.kafka, number, "forward")
    callee(workdir, callees, CARRIER_1)

    result = await place_call(workdir, number, CALLER)

    assert result.returncode == 0, result.output
    _, headers = await edge_events.status(call_id_for(result.sip_call_id), "ESTABLISHED")
    trace_id = headers["traceparent"].decode().split("-")[1]
    trace = await jaeger_trace(endpoints, trace_id, {"sip-edge", "call-dispatch"})
    roots = [s for s in trace["spans"] if not s.get("references")]
    assert len(roots) == 1
    root = roots[0]
    assert trace["processes"][root["processID"]]["serviceName"] == "sip-edge"
    assert root["operationName"] == "sip INVITE"
