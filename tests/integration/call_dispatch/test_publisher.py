"""The upstream side: the typed publisher and the `callplane` command, against the running
call-dispatch."""

from __future__ import annotations

import json

import httpx
import pytest

from callplane_client.cli import main as callplane
from callplane_client.publisher import CallPublisher
from tests.endpoints import Endpoints
from tests.integration.call_dispatch.support import TopicWatcher
from tests.support import eventually
from tests.unit.call_dispatch.builders import inbound, unique_number

pytestmark = pytest.mark.integration
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_publisher_awaits_the_decision_and_the_log_keeps_the_trace(
    endpoints: Endpoints, dispatch: TopicWatcher
) -> None:
    call = inbound(unique_number())
    async with CallPublisher(endpoints.kafka) as publisher:
        decision = await publisher.decide(
            call, traceparent=f"00-{TRACE_ID}-00f067aa0ba902b7-01", timeout=15
        )
    assert decision.call_id == call.call_id
    assert decision.instruction.kind == "reject"
    headers = {"Authorization": "Bearer local-operator-token-change-me-0123456789"}
    async with httpx.AsyncClient(base_url=endpoints.base_url, headers=headers) as client:

        async def logged() -> dict[str, object] | None:
            reply = await client.get(f"/records/1/calls/{call.call_id}")
            # The inbound call may be recorded before its decision: wait for the decision.
            found = reply.json() if reply.status_code == 200 else {}
            return found if found.get("decisions") else None

        entry = await eventually(logged, what="call recorded by call-records")
    assert entry["traceId"] == TRACE_ID


def test_callplane_calls_simulate_prints_the_decision(
    endpoints: Endpoints, dispatch: TopicWatcher, capsys: pytest.CaptureFixture[str]
) -> None:
    number = unique_number()
    code = callplane(
        [
            "--bootstrap-servers",
            endpoints.kafka,
            "calls",
            "simulate",
            "--from",
            "+41445550100",
            "--to",
            number,
            "--timeout",
            "15",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["number"] == number
    assert printed["instruction"]["reason"] == "NUMBER_NOT_IN_SERVICE"
