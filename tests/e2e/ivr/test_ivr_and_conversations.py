"""IVR and Conversations decisions through the running stack (issue 16).

An IVR decision is self-contained: it carries the scenario id, version and validated script, and a
scenario change reaches new calls. The IVR run's events published on `calls.status` reach the
scenario's notifyUrl (a customer on loopback) signed with the scenario's secret, checked by the
shipped helper, also after the first attempt failed. A Conversations decision names its queue:
the number's own, else the account's default (set through the API), else the platform's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from callplane_client.publisher import CallPublisher
from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    InboundCall,
    IvrEventType,
    IvrRunEvent,
    utc_now,
)
from callplane_shared.topics import CALLS_STATUS
from tests.e2e.journey import Customer, admin_client, new_customer
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer, answer, failing_then
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e

CALLER = "+41791234567"
MENU = [
    {"say": "Press 1 for sales", "options": {"language": "en"}},
    {"collectInto": "choice", "options": {"maxInputLength": 1, "timeout": 5}},
]
MENU_V2 = [*MENU, {"if": "${choice} == 1", "then": [{"dial": "41793026727"}]}]


@dataclass
class Line:
    """A customer with one freshly leased number."""

    customer: Customer
    number_key: str
    number: str

    @property
    def api(self) -> httpx.AsyncClient:
        return self.customer.api

    @property
    def account_id(self) -> str:
        return self.customer.account_id


@pytest.fixture
async def customer(endpoints: Endpoints) -> AsyncIterator[Line]:
    async with admin_client(endpoints.base_url) as admin:
        who = await new_customer(endpoints.base_url, admin)
        number_key, number = await who.lease_fresh_number(admin)
        yield Line(who, number_key, number)
    await who.api.aclose()


async def set_action(customer: Line, action: dict[str, Any]) -> None:
    voice = f"/numbers/2/numbers/{customer.number_key}/voice"
    answered = await customer.api.put(voice, json={"action": action})
    assert answered.status_code == 200, answered.text


async def decision_where(edge: CallPublisher, number: str, wanted: Any, what: str) -> CallDecision:
    """The first decision (of fresh calls) for which `wanted(decision)` holds: the views follow
    the API within the propagation bound, so earlier calls may still see the old state."""

    async def probe() -> CallDecision | None:
        call = InboundCall(call_id=unique("ivr"), from_=CALLER, to=number, received_at=utc_now())
        decision = await edge.decide(call, timeout=15)
        return decision if wanted(decision) else None

    return await eventually(probe, timeout=30, interval=0.3, what=what)


def ivr_version(version: int) -> Any:
    return lambda d: d.instruction.kind == "ivr" and d.instruction.scenario_version == version


async def test_an_ivr_decision_carries_the_current_script(
    customer: Line, edge: CallPublisher
) -> None:
    created = await customer.api.post(
        "/voice/ivr/1/scenarios", json={"name": unique("menu"), "script": MENU}
    )
    assert created.status_code == 200, created.text
    scenario = created.json()
    assert scenario["version"] == 1
    await set_action(customer, {"type": "FORWARD_TO_IVR", "scenarioKey": scenario["id"]})
    number = customer.number

    first = await decision_where(edge, number, ivr_version(1), "an IVR decision of version 1")
    assert first.instruction.kind == "ivr"
    assert first.instruction.scenario_id == scenario["id"]
    assert first.instruction.script == MENU

    replaced = await customer.api.put(
        f"/voice/ivr/1/scenarios/{scenario['id']}", json={"name": "menu 2", "script": MENU_V2}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2
    second = await decision_where(edge, number, ivr_version(2), "new calls carry version 2")
    assert second.instruction.kind == "ivr"
    assert second.instruction.script == MENU_V2

    async def usage_recorded() -> str | None:
        got = await customer.api.get(f"/voice/ivr/1/scenarios/{scenario['id']}")
        value: str | None = got.json().get("lastUsageDate")
        return value

    # lastUsageDate is kept from calls.decisions by action-config, off the hot path.
    assert await eventually(usage_recorded, timeout=30, what="lastUsageDate set")


async def test_a_conversations_decision_names_its_queue(
    customer: Line, edge: CallPublisher
) -> None:
    number = customer.number
    caller_id = f"/numbers/1/numbers/{customer.number_key}/conversations-caller-id"
    refused = await customer.api.get(caller_id)
    assert refused.status_code == 400, "a number without the action is refused as caller ID"
    assert (
        "VOICE_FORWARD_TO_CONVERSATIONS"
        in refused.json()["requestError"]["serviceException"]["text"]
    )
    await set_action(customer, {"type": "VOICE_FORWARD_TO_CONVERSATIONS"})
    default = await decision_where(
        edge, number, lambda d: d.instruction.kind == "conversations", "a conversations decision"
    )
    assert default.instruction.kind == "conversations"
    assert default.instruction.account_id == customer.account_id
    assert default.instruction.queue_id == "default"

    # The account's own default queue, set by the customer, takes over from the platform's.
    account_queue = unique("queue")
    put = await customer.api.put("/account/1/conversations-queue", json={"queueId": account_queue})
    assert put.status_code == 200, put.text
    accounts = await decision_where(
        edge,
        number,
        lambda d: d.instruction.kind == "conversations" and d.instruction.queue_id == account_queue,
        "the account's default queue",
    )
    assert accounts.instruction.kind == "conversations"
    assert accounts.instruction.account_id == customer.account_id

    async def caller_id_queue(queue: str) -> dict[str, Any] | None:
        got = await customer.api.get(caller_id)
        body: dict[str, Any] = got.json()
        return body if got.status_code == 200 and body["queueId"] == queue else None

    await eventually(
        lambda: caller_id_queue(account_queue), timeout=30, what="caller ID names it too"
    )

    await set_action(customer, {"type": "VOICE_FORWARD_TO_CONVERSATIONS", "queueId": "support"})
    own = await decision_where(
        edge,
        number,
        lambda d: d.instruction.kind == "conversations" and d.instruction.queue_id == "support",
        "the number's own queue",
    )
    assert own.instruction.kind == "conversations"
    assert own.instruction.account_id == customer.account_id

    available = await eventually(
        lambda: caller_id_queue("support"), timeout=30, what="caller ID available"
    )
    assert available["conversationsCallerId"]
    details = await customer.api.get(f"/numbers/1/numbers/{customer.number_key}")
    assert details.json()["conversationsCallerId"] is True


async def test_ivr_events_reach_the_notify_url_signed(
    customer: Line, edge: CallPublisher, platform: CustomerServer, endpoints: Endpoints
) -> None:
    path = f"/ivr/{unique('notify')}"
    created = await customer.api.post(
        "/voice/ivr/1/scenarios",
        json={"name": unique("notify"), "script": MENU, "notifyUrl": platform.url(path)},
    )
    assert created.status_code == 200, created.text
    scenario = created.json()
    secret = scenario["notifySecret"]
    got = await customer.api.get(f"/voice/ivr/1/scenarios/{scenario['id']}")
    assert "notifySecret" not in got.json(), "the secret is shown only at creation"
    # The first attempt fails: the event must still arrive, by a retry.
    platform.on(path, failing_then(1, answer({})), credentials=(scenario["id"], secret))

    call_id = unique("ivr-call")
    run = IvrRunEvent(
        type=IvrEventType.DTMF_COLLECTED,
        scenario_id=scenario["id"],
        scenario_version=1,
        action_id=2,
        variable="choice",
        dtmf="1",
    )
    status = CallStatus(
        call_id=call_id,
        state=CallState.ESTABLISHED,
        from_=CALLER,
        to=customer.number,
        ivr=run,
    )
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            CALLS_STATUS.name, status.model_dump_json(by_alias=True).encode(), key=call_id.encode()
        )
    finally:
        await producer.stop()

    async def delivered() -> Any:
        ok = [r for r in platform.requests_to(path) if len(platform.requests_to(path)) >= 2]
        return ok[-1] if ok else None

    received = await eventually(delivered, timeout=30, what="the notification after a retry")
    assert received.v1_valid, "X-Callplane-Signature verifies with the scenario's secret"
    assert received.infobip_valid, "Authorization verifies with (scenario id, secret)"
    body = json.loads(received.body)
    assert body["callId"] == call_id
    assert body["type"] == "DTMF_COLLECTED"
    assert body["dtmf"] == "1"
    assert body["scenarioVersion"] == 1
    assert body["eventId"] == status.event_id


async def test_hostile_ivr_options_are_refused_with_400(customer: Line) -> None:
    """Issue 14: nested nulls in tags answered 500, an empty capture key phrase 502."""
    for script in (
        [{"dialToConversations": {"options": {"tags": [[None]]}}}],
        [{"capture": "x", "timeout": 5, "speechOptions": {"keyPhrases": [""]}}],
    ):
        answered = await customer.api.post(
            "/voice/ivr/1/scenarios", json={"name": unique("bad"), "script": script}
        )
        assert answered.status_code == 400, answered.text
        assert answered.json()["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"
