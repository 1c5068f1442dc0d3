# ruff: noqa: INP001, T201 - a demo script that prints
"""`make sip-demo`: real SIP calls of every kind through Kamailio and the sip-edge adapter.

A demo account leases one number per kind (forward, call routing with a busy first destination,
IVR, conversations, subscription, no action) plus a number nobody leased. SIPp answers as the
carriers and the media server and places one call to each; every call is printed with its SIP
outcome, callplane's decision (operator API) and its trace in Jaeger.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from callplane_sip_edge.calls import call_id_for  # noqa: E402
from tests.e2e.journey import (  # noqa: E402
    Customer,
    admin_client,
    dev_setting,
    fresh_number,
    new_customer,
)
from tests.e2e.sip import sipp  # noqa: E402
from tests.e2e.sip.voice import create, set_action, until_decided_as  # noqa: E402

BASE_URL = "http://127.0.0.1:8080"
KAFKA = "127.0.0.1:9092"
CALLER = "+41791234567"


async def show(api: httpx.AsyncClient, kind: str, number: str, result: sipp.CallResult) -> None:
    call_id = call_id_for(result.sip_call_id)
    response = result.final_response
    final = response.first_line.removeprefix("SIP/2.0 ")
    if reason := response.header("X-Callplane-Reject-Reason"):
        final += f" ({reason})"
    print(f"\n{kind:<14} {number}  →  {final}   callId {call_id}")

    async def logged() -> dict[str, Any] | None:
        reply = await api.get(f"/records/1/calls/{call_id}")
        return reply.json() if reply.is_success else None

    entry = None
    for _ in range(20):
        entry = await logged()
        if entry:
            break
        await asyncio.sleep(0.25)
    if entry is None:
        print("  (no decision log entry yet)")
        return
    decision = entry.get("decision", entry)
    print(f"  decision     {decision.get('instruction')}")
    trace_id = entry.get("traceId") or entry.get("trace_id")
    if trace_id:
        print(f"  trace id     {trace_id}")
    # The local Jaeger has no UI: the console draws the call and, for operators, its trace.
    print(f"  operator     {BASE_URL}/console/operator/calls/{call_id}")


async def action_for(customer: Customer, kind: str, number: str) -> dict[str, Any] | None:
    name = f"sip demo {number}"
    if kind == "forward":
        return {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026721"}
    if kind == "call_routing":
        destinations = [
            {"type": "ENDPOINT", "priority": p, "value": {"type": "PHONE", "phoneNumber": phone}}
            for p, phone in ((1, "41793026722"), (2, "41793026723"))
        ]
        body = {"name": name, "criteria": [], "destinations": destinations}
        route = await create(customer, "/callrouting/1/routes", body, "id")
        return {"type": "FORWARD_TO_CALL_ROUTING", "routeId": route}
    if kind == "ivr":
        body = {"name": name, "script": [{"say": "Welcome"}]}
        scenario = await create(customer, "/voice/ivr/1/scenarios", body, "id")
        return {"type": "FORWARD_TO_IVR", "scenarioKey": scenario}
    if kind == "conversations":
        return {"type": "VOICE_FORWARD_TO_CONVERSATIONS"}
    if kind == "subscription":
        config = await create(customer, "/calls/1/configurations", {"name": name}, "id")
        return {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": config}
    return None  # "none": leased, no action


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="sip-demo-"))
    operator = httpx.AsyncClient(
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {dev_setting('RECORDS_OPERATOR_TOKEN')}"},
        timeout=10,
    )
    async with admin_client(BASE_URL) as admin:
        customer = await new_customer(BASE_URL, admin)
        print(f"demo account {customer.account_id}; SIPp traces in {work}")
        numbers: dict[str, str] = {}
        for kind in ("forward", "call_routing", "ivr", "conversations", "subscription", "none"):
            key, number = await customer.lease_fresh_number(admin)
            numbers[kind] = number
            action = await action_for(customer, kind, number)
            if action is None:
                continue
            await set_action(customer, key, action)
            await until_decided_as(KAFKA, number, kind)
        numbers["unknown"] = fresh_number()

        callees = [
            sipp.start_callee(work, sipp.CARRIER_1),
            sipp.start_callee(work, sipp.CARRIER_2, "busy-callee.xml"),
            sipp.start_callee(work, sipp.CARRIER_3),
            sipp.start_callee(work, sipp.MEDIA_SERVER),
        ]
        try:
            for kind, number in numbers.items():
                rejected = kind in {"none", "unknown"}
                scenario = "rejected-caller.xml" if rejected else "caller.xml"
                result = await sipp.place_call(work, number, CALLER, scenario=scenario)
                await show(operator, kind, number, result)
                if kind == "call_routing":
                    print("  failover     486 Busy Here from 127.0.0.1:5082, answered by :5083")
        finally:
            for callee in callees:
                callee.stop()
            await customer.api.aclose()
            await operator.aclose()


if __name__ == "__main__":
    asyncio.run(main())
