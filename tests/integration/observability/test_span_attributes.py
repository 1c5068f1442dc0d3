"""Our `callplane.*` attributes on the spans an on-call engineer searches in Jaeger: the call,
its number and action, and how it was decided (kind, path, reason)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from callplane_shared.events import MaskingRequest
from callplane_shared.telemetry import Attr
from callplane_shared.topics import CALLS_INBOUND, MASKING_REQUESTS
from tests.endpoints import Endpoints
from tests.integration.call_dispatch.support import TopicWatcher
from tests.integration.number_masking.calls import MASKED, create_config
from tests.integration.number_masking.conftest import MakeTenant, TopicTail, now
from tests.integration.number_masking.customer import CustomerServer, answer
from tests.integration.observability.test_metrics import DIAL, ivr_number
from tests.support import eventually, unique
from tests.unit.call_dispatch.builders import inbound

pytestmark = pytest.mark.integration


def traceparent() -> tuple[str, bytes]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01".encode()


async def span_tags(endpoints: Endpoints, trace_id: str, service: str, name: str) -> dict[str, Any]:
    """The tags of span `name` of `service` in the trace, once Jaeger has it (export is batched)."""

    async def probe() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=endpoints.jaeger_query, timeout=5) as client:
            response = await client.get(f"/api/traces/{trace_id}")
        if response.status_code != httpx.codes.OK or not response.json().get("data"):
            return None
        trace = response.json()["data"][0]
        for span in trace["spans"]:
            process = trace["processes"][span["processID"]]["serviceName"]
            if process == service and span["operationName"] == name:
                return {tag["key"]: tag["value"] for tag in span["tags"]}
        return None

    return await eventually(probe, timeout=40, interval=0.5, what=f"{service} '{name}' span")


async def test_call_dispatch_span_names_the_call_and_its_decision(
    endpoints: Endpoints, producer: AIOKafkaProducer, dispatch: TopicWatcher
) -> None:
    number = await ivr_number(producer, dispatch)
    call = inbound(number)
    trace_id, header = traceparent()
    await producer.send_and_wait(
        CALLS_INBOUND.name,
        call.model_dump_json(by_alias=True).encode(),
        key=call.call_id.encode(),
        headers=[("traceparent", header)],
    )
    await dispatch.first("calls.decisions", call.call_id)

    tags = await span_tags(endpoints, trace_id, "call-dispatch", "calls.inbound process")

    assert tags[Attr.CALL_ID] == call.call_id
    assert tags[Attr.NUMBER] == number
    assert tags[Attr.ACTION_TYPE] == "FORWARD_TO_IVR"
    assert tags[Attr.ACTION_VERSION] == 1
    assert tags[Attr.DECISION_KIND] == "ivr"
    assert tags[Attr.DECISION_PATH] == "direct"


async def test_number_masking_span_says_which_path_decided_and_why(
    endpoints: Endpoints,
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    primary = customer.on(f"/{unique('primary')}", answer({"error": "down"}, status=503))
    backup = customer.on(f"/{unique('backup')}", answer(DIAL))
    key = await create_config(tenant, primary, backupCallbackUrl=backup)
    request = MaskingRequest(
        call_id=unique("call"),
        number=MASKED,
        account_id=tenant.account_id,
        config_key=key,
        from_="+41793026731",
        to=MASKED,
        received_at=now(),
        action_version=3,
    )
    trace_id, header = traceparent()
    await producer.send_and_wait(
        MASKING_REQUESTS.name,
        request.model_dump_json(by_alias=True).encode(),
        key=request.call_id.encode(),
        headers=[("traceparent", header)],
    )
    await decisions.decision(request.call_id)

    tags = await span_tags(endpoints, trace_id, "number-masking", "masking.requests process")

    assert tags[Attr.CALL_ID] == request.call_id
    assert tags[Attr.MASKING_CONFIG_KEY] == key
    assert tags[Attr.DECISION_KIND] == "forward"
    assert tags[Attr.DECISION_PATH] == "backup"
    assert "primary: HTTP 503" in tags[Attr.DECISION_REASON]
    assert tags[Attr.ACTION_VERSION] == 3
