"""Status reports of masked calls: built from calls.status, delivered, retried, kept."""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from starlette.responses import JSONResponse, Response

from callplane_shared.events import CallCharged, CallState, CallStatus
from callplane_shared.topics import CALLS_CHARGES, CALLS_STATUS
from tests.endpoints import Endpoints
from tests.integration.number_masking.calls import (
    CALLER,
    DESTINATION,
    MASKED,
    create_config,
    decide,
    set_credentials,
)
from tests.integration.number_masking.conftest import MakeTenant, TopicTail, now, publish
from tests.integration.number_masking.customer import CustomerServer, answer, failing_then
from tests.support import eventually, unique

pytestmark = pytest.mark.integration

DIAL = {"command": "dial", "phoneNumber": DESTINATION, "callerId": CALLER}
REPO = Path(__file__).resolve().parents[3]


async def finish(producer: AIOKafkaProducer, call_id: str, **fields: Any) -> None:
    ended = now()
    values: dict[str, Any] = {
        "state": CallState.FINISHED,
        "transfer_to": DESTINATION,
        "ringing_at": ended - timedelta(seconds=20),
        "answered_at": ended - timedelta(seconds=15),
        "ended_at": ended,
        "duration_seconds": 15,
        **fields,
    }
    status = CallStatus(call_id=call_id, from_=CALLER, to=DESTINATION, **values)
    await publish(producer, CALLS_STATUS.name, call_id, status)


async def test_report_is_retried_until_the_customer_accepts_it(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    credentials = await set_credentials(tenant)
    status_path = f"/{unique('status')}"
    status_url = customer.on(status_path, failing_then(1, answer({})), credentials)
    key = await create_config(
        tenant, customer.on(f"/{unique('cb')}", answer(DIAL)), statusUrl=status_url
    )
    decided = await decide(producer, decisions, tenant, key)
    await finish(producer, decided.decision.call_id)

    async def delivered() -> bool:
        return len(customer.requests_to(status_path)) >= 2

    await eventually(delivered, timeout=15, what="status report retried after a 500")
    first, second = customer.requests_to(status_path)[:2]
    assert first.body == second.body
    assert second.v1_valid
    assert second.infobip_valid
    report = json.loads(second.body)
    assert report["action"] == "dial"
    assert report["status"] == "answered"
    assert report["from"] == CALLER
    assert report["to"] == MASKED
    assert report["transferTo"] == DESTINATION
    assert report["duration"] == 15
    assert report["correlationId"] == decided.decision.call_id
    assert report["nmCorrelationId"] == decided.decision.call_id
    assert report["ringingTime"]
    assert report["answeredTime"]
    assert second.at - first.at >= 0.5  # backed off, not hammered


async def test_backup_status_url_gets_the_report_when_status_url_fails(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    broken = customer.on(f"/{unique('st')}", answer({}, status=500))
    backup_path = f"/{unique('backup-st')}"
    backup = customer.on(backup_path, answer({}))
    key = await create_config(
        tenant,
        customer.on(f"/{unique('cb')}", answer(DIAL)),
        statusUrl=broken,
        backupStatusUrl=backup,
    )
    decided = await decide(producer, decisions, tenant, key)
    await finish(producer, decided.decision.call_id, state=CallState.BUSY, answered_at=None)

    async def received() -> bool:
        return len(customer.requests_to(backup_path)) == 1

    await eventually(received, timeout=10, what="report on backupStatusUrl")
    assert json.loads(customer.requests_to(backup_path)[0].body)["status"] == "busy"


@pytest.mark.skipif(
    os.environ.get("CALLPLANE_TEST_RESTARTS", "1") != "1",
    reason="restarts the local number-masking via `make restart`; off by CALLPLANE_TEST_RESTARTS=0",
)
async def test_pending_report_survives_a_restart(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
    endpoints: Endpoints,
) -> None:
    tenant = await make_tenant()
    up = {"value": False}

    async def until_restarted(_: int) -> Response:
        return JSONResponse({}, status_code=200 if up["value"] else 503)

    status_path = f"/{unique('status')}"
    key = await create_config(
        tenant,
        customer.on(f"/{unique('cb')}", answer(DIAL)),
        statusUrl=customer.on(status_path, until_restarted),
    )
    decided = await decide(producer, decisions, tenant, key)
    await finish(producer, decided.decision.call_id)

    async def attempted() -> bool:
        return len(customer.requests_to(status_path)) >= 1

    await eventually(attempted, timeout=10, what="first, failing, attempt")
    restart = await asyncio.create_subprocess_exec(
        "make", "restart", "SERVICES=number-masking", cwd=REPO
    )
    assert await restart.wait() == 0
    attempts_before = len(customer.requests_to(status_path))
    up["value"] = True

    async def delivered() -> bool:
        return len(customer.requests_to(status_path)) > attempts_before

    await eventually(delivered, timeout=90, what="report delivered after the restart")
    report = json.loads(customer.requests_to(status_path)[-1].body)
    assert report["correlationId"] == decided.decision.call_id


@pytest.fixture(scope="module")
async def charges(endpoints: Endpoints) -> AsyncIterator[TopicTail]:
    tail = TopicTail(endpoints.kafka, CALLS_CHARGES.name)
    await tail.start()
    yield tail
    await tail.stop()


async def test_an_answered_report_carries_the_price_call_records_charged(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
    charges: TopicTail,
) -> None:
    tenant = await make_tenant()
    credentials = await set_credentials(tenant)
    status_path = f"/{unique('priced')}"
    status_url = customer.on(status_path, answer({}), credentials)
    key = await create_config(
        tenant, customer.on(f"/{unique('cb')}", answer(DIAL)), statusUrl=status_url
    )
    decided = await decide(producer, decisions, tenant, key)
    call_id = decided.decision.call_id
    await finish(producer, call_id, duration_seconds=65)
    (raw,) = await charges.wait(call_id, timeout=20)  # call-records rated the masked leg
    assert raw is not None
    charge = CallCharged.model_validate_json(raw)

    async def delivered() -> bool:
        return len(customer.requests_to(status_path)) >= 1

    await eventually(delivered, timeout=20, what="priced status report")
    report = json.loads(customer.requests_to(status_path)[0].body)
    assert report["currency"] == charge.currency
    assert report["calculatedDuration"] == charge.billed_seconds
    assert report["pricePerSecond"] == pytest.approx(float(charge.price_per_minute) * 100 / 60)
    # From the masking request's receivedAt to the edge's endTime, both in this test's hands.
    ended = datetime.fromisoformat(report["endTime"])
    expected = math.ceil((ended - decided.decision.received_at).total_seconds())
    assert report["inboundDuration"] == max(0, expected)
