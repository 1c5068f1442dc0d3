"""A call to a number forwarded to a calls configuration, through the running stack: the account's
subscription hears CALL_RECEIVED, CALL_ESTABLISHED and CALL_FINISHED at a real loopback server, in
that order, each signed with both schemes (checked with the shipped helper), and exactly once per
event id after every record of the call is delivered again (invariant 3's at-least-once input).
The call history shows each delivery; another account sees neither the subscription nor the call
(invariant 5)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from starlette.responses import Response

from callplane_client.publisher import CallPublisher
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS
from tests.e2e.calls import WholeCall, decided, publish, timeline
from tests.e2e.journey import Customer, new_customer
from tests.e2e.test_call_records import caught_up
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e

SUBSCRIBED = ["CALL_RECEIVED", "CALL_ESTABLISHED", "CALL_FINISHED"]
SECRET = "e2e-subscription-secret-0123456789"
COLLECTION = "/subscriptions/1/subscription/VOICE_VIDEO"


async def _ok(_count: int) -> Response:
    return Response(status_code=200)


async def forwarded_to_configuration(
    customer: Customer, admin: httpx.AsyncClient
) -> tuple[str, str]:
    number_key, number = await customer.lease_fresh_number(admin)
    created = await customer.api.post("/calls/1/configurations", json={"name": unique("conf")})
    assert created.status_code == 201, created.text
    configuration: str = created.json()["id"]
    action = {"type": "FORWARD_TO_SUBSCRIPTION", "callsConfigurationId": configuration}
    reply = await customer.api.put(
        f"/numbers/2/numbers/{number_key}/voice", json={"action": action}
    )
    assert reply.status_code in {200, 201}, reply.text
    return number, configuration


def subscription(configuration: str, notify_url: str) -> dict[str, Any]:
    return {
        "subscriptionId": unique("sub"),
        "name": "e2e call events",
        "events": SUBSCRIBED,
        "criteria": [{"callsConfigurationId": configuration}],
        "profile": {
            "webhook": {"notifyUrl": notify_url},
            "security": {
                "authId": "e2e-auth",
                "type": "HMAC",
                "credentials": {"secretKey": SECRET, "algorithm": "HMAC_SHA_256"},
            },
        },
    }


async def until_subscription(edge: CallPublisher, number: str) -> WholeCall:
    """A call once call-dispatch's view has the number's action (earlier calls are rejected)."""

    async def probe() -> WholeCall | None:
        call = await decided(edge, number)
        return call if call.decision.instruction.kind == "subscription" else None

    return await eventually(probe, timeout=90, interval=0.3, what="the number forwards to it")


@pytest.mark.timeout(400)
async def test_call_events_reach_the_subscriber_in_order_signed_and_once_per_event_id(
    endpoints: Endpoints,
    admin: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    edge: CallPublisher,
    platform: CustomerServer,
) -> None:
    customer = await new_customer(endpoints.base_url, admin)
    other = await new_customer(endpoints.base_url, admin)
    number, configuration = await forwarded_to_configuration(customer, admin)
    path = f"/{unique('events')}"
    url = platform.on(path, _ok, credentials=("e2e-auth", SECRET))
    body = subscription(configuration, url)
    created = await customer.api.post(COLLECTION, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["profile"]["security"] == {"authId": "e2e-auth"}
    shown = await customer.api.get(f"{COLLECTION}/{body['subscriptionId']}")
    assert shown.status_code == 200, shown.text
    assert SECRET not in shown.text
    assert (await other.api.get(f"{COLLECTION}/{body['subscriptionId']}")).status_code == 404

    call = await until_subscription(edge, number)
    await publish(producer, [(CALLS_STATUS.name, s) for s in timeline(call, number)])

    def events_of_the_call() -> list[dict[str, Any]]:
        bodies = [json.loads(r.body) for r in platform.requests_to(path)]
        return [b for b in bodies if b["callId"] == call.call_id]

    async def all_three() -> list[dict[str, Any]] | None:
        got = events_of_the_call()
        return got if len(got) >= len(SUBSCRIBED) else None

    received = await eventually(all_three, timeout=120, what="three call events delivered")
    assert [e["type"] for e in received] == SUBSCRIBED
    assert {e["callsConfigurationId"] for e in received} == {configuration}
    requests = platform.requests_to(path)
    assert all(r.v1_valid and r.infobip_valid for r in requests), "a signature did not verify"

    # Forced redelivery: every record of the call again, handled before we look.
    await publish(producer, call.records())
    topics = [CALLS_INBOUND.name, CALLS_DECISIONS.name, CALLS_STATUS.name]

    async def handled() -> bool:
        return await caught_up(endpoints.kafka, "call-records", topics)

    await eventually(handled, timeout=180, what="the redelivered records handled")

    async def history() -> dict[str, Any] | None:
        reply = await customer.api.get(f"/calls/1/calls/{call.call_id}/history")
        log: dict[str, Any] = reply.json()
        deliveries = log.get("eventDeliveries") or []
        done = len(deliveries) == len(SUBSCRIBED)
        return log if done and all(d["state"] == "delivered" for d in deliveries) else None

    log = await eventually(history, timeout=60, what="every delivery shown in the history")
    assert [d["type"] for d in log["eventDeliveries"]] == SUBSCRIBED
    assert all(d["attempts"] == 1 for d in log["eventDeliveries"])
    ids = [e["eventId"] for e in events_of_the_call()]
    assert len(ids) == len(set(ids)) == len(SUBSCRIBED), "an event id arrived twice"
    assert (await other.api.get(f"/calls/1/calls/{call.call_id}/history")).status_code == 404
