"""One call, one trace: what an on-call engineer follows from the edge's event to the customer's
webhook and back, and from a configuration change to the dispatcher applying it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from opentelemetry import context as otel_context
from opentelemetry import propagate

from callplane_client.publisher import CallPublisher
from callplane_shared.events import CallDecision, InboundCall
from tests.e2e.journey import Customer, admin_client, new_customer
from tests.endpoints import Endpoints
from tests.integration.number_masking.customer import CustomerServer, answer
from tests.support import eventually, unique

pytestmark = pytest.mark.e2e


def new_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


async def jaeger_trace(endpoints: Endpoints, trace_id: str, services: set[str]) -> dict[str, Any]:
    """The trace once spans of every service in `services` have arrived (export is batched)."""

    seen: set[str] = set()

    async def probe() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=endpoints.jaeger_query, timeout=5) as client:
            response = await client.get(f"/api/traces/{trace_id}")
        if response.status_code != 200 or not response.json().get("data"):
            return None
        trace: dict[str, Any] = response.json()["data"][0]
        seen.update(span_services(trace))
        return trace if services <= seen else None

    try:
        return await eventually(probe, timeout=60, interval=0.5, what=f"{services} in {trace_id}")
    except AssertionError as missing:
        # Which side is missing tells export trouble (nothing) from a hop that never happened.
        raise AssertionError(f"{missing}; services seen: {sorted(seen) or 'none'}") from None


def span_services(trace: dict[str, Any]) -> set[str]:
    return {trace["processes"][s["processID"]]["serviceName"] for s in trace["spans"]}


@pytest.fixture(scope="module")
def customer_platform() -> Iterator[CustomerServer]:
    server = CustomerServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def customer(endpoints: Endpoints) -> AsyncIterator[tuple[Customer, httpx.AsyncClient]]:
    async with admin_client(endpoints.base_url) as admin:
        account = await new_customer(endpoints.base_url, admin)
        yield account, admin
        await account.api.aclose()


async def test_a_masked_call_is_one_trace_from_edge_to_webhook_and_back(
    endpoints: Endpoints,
    customer: tuple[Customer, httpx.AsyncClient],
    customer_platform: CustomerServer,
) -> None:
    account, admin = customer
    number_key, number = await account.lease_fresh_number(admin)
    path = f"/{unique('callback')}"
    callback = customer_platform.on(path, answer({"command": "dial", "phoneNumber": "41793026727"}))
    config = await account.api.post(
        "/voice/masking/2/config",
        json={"name": unique("cfg").replace("-", " "), "callbackUrl": callback},
    )
    assert config.status_code in {200, 201}, config.text
    config_key = config.json()["key"]

    async def action_set() -> bool:
        reply = await account.api.post(
            f"/numbers/2/numbers/{number_key}/voice",
            json={
                "action": {
                    "type": "VOICE_NUMBER_MASKING",
                    "voiceNumberMaskingConfigKey": config_key,
                }
            },
        )
        return reply.status_code in {200, 201}

    # action-config learns the number and the config from events; it may take a moment.
    await eventually(action_set, timeout=20, what="masking action accepted")

    async with CallPublisher(endpoints.kafka) as edge:

        async def masked_decision() -> tuple[str, CallDecision] | None:
            trace_id, traceparent = new_traceparent()
            call = InboundCall(
                call_id=unique("call"),
                **{"from": "+41793026731"},
                to=number,
                received_at=datetime.now(UTC),
            )
            decision = await edge.decide(call, traceparent=traceparent, timeout=15)
            # Until call-dispatch has applied the action it rejects with NO_ACTION: try again.
            return (trace_id, decision) if decision.decided_by == "number-masking" else None

        trace_id, decision = await eventually(masked_decision, timeout=30, what="masked decision")

    assert decision.instruction.kind == "forward"
    webhook_calls = customer_platform.requests_to(path)
    assert any(r.headers.get("traceparent", "").split("-")[1] == trace_id for r in webhook_calls)

    trace = await jaeger_trace(endpoints, trace_id, {"call-dispatch", "number-masking"})
    names = {s["operationName"] for s in trace["spans"]}
    assert "calls.inbound process" in names
    assert any(name.startswith("masking.requests") for name in names)
    assert any(name.startswith("calls.decisions") for name in names)
    assert any(name.startswith("POST") for name in names), names  # the signed webhook call


async def test_a_voice_action_change_is_one_trace_to_the_dispatcher(
    endpoints: Endpoints, customer: tuple[Customer, httpx.AsyncClient]
) -> None:
    account, admin = customer
    number_key, _ = await account.lease_fresh_number(admin)

    async def number_known() -> bool:
        # A leased number without an action answers 404 "has no voice action"; one that
        # action-config has not learnt yet answers 404 "is not one of your leased numbers".
        reply = await account.api.get(f"/numbers/2/numbers/{number_key}/voice")
        return reply.status_code == 404 and "has no voice action" in reply.text

    await eventually(number_known, timeout=20, what="action-config knows the number")
    trace_id, traceparent = new_traceparent()

    async def put_action() -> bool:
        # Sent as the header and made the current context: if this process has httpx
        # instrumented (other tests build service apps), the client span joins our trace instead
        # of replacing the header with a trace of its own.
        token = otel_context.attach(propagate.extract({"traceparent": traceparent}))
        try:
            reply = await account.api.post(
                f"/numbers/2/numbers/{number_key}/voice",
                json={"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "41793026727"}},
                headers={"traceparent": traceparent},
            )
        finally:
            otel_context.detach(token)
        return reply.status_code in {200, 201}

    await eventually(put_action, timeout=20, what="forward action accepted")

    trace = await jaeger_trace(endpoints, trace_id, {"action-config", "call-dispatch"})
    names = {s["operationName"] for s in trace["spans"]}
    assert "voice.actions process" in names  # call-dispatch applying it to its view
    mongo_spans = [s for s in trace["spans"] if any(t["key"] == "db.system" for t in s["tags"])]
    assert mongo_spans, "the MongoDB write is part of the trace"
    assert span_services(trace) >= {"action-config", "call-dispatch"}
