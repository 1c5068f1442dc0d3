"""Helpers for tests that drive masked calls through Kafka."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from callplane_shared.events import CallDecision, MaskingRequest
from callplane_shared.topics import MASKING_REQUESTS
from callplane_shared.voice import Fallback
from tests.integration.number_masking.conftest import API, Tenant, TopicTail, now, publish
from tests.support import unique

CALLER = "+41793026731"
MASKED = "+41793026000"
DESTINATION = "+41793026999"


async def create_config(tenant: Tenant, callback_url: str, **extra: Any) -> str:
    body = {"name": unique("cfg").replace("-", " "), "callbackUrl": callback_url, **extra}
    response = await tenant.client.post(f"{API}/config", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["key"])


async def set_credentials(tenant: Tenant) -> tuple[str, str]:
    api_id, key = unique("app"), unique("key")
    response = await tenant.client.post(f"{API}/credentials", json={"apiId": api_id, "key": key})
    assert response.status_code == 200, response.text
    return api_id, key


@dataclass
class Decided:
    decision: CallDecision
    seconds: float


async def request_call(
    producer: AIOKafkaProducer,
    tenant: Tenant,
    config_key: str,
    *,
    fallback: Fallback | None = None,
    call_id: str | None = None,
    caller: str = CALLER,
    dtmf_captured: bool | None = None,
) -> MaskingRequest:
    request = MaskingRequest(
        call_id=call_id or unique("call"),
        number=MASKED,
        account_id=tenant.account_id,
        config_key=config_key,
        from_=caller,
        to=MASKED,
        received_at=now(),
        action_version=1,
        fallback=fallback,
        dtmf_captured=dtmf_captured,
    )
    await publish(producer, MASKING_REQUESTS.name, request.call_id, request)
    return request


async def decide(
    producer: AIOKafkaProducer,
    decisions: TopicTail,
    tenant: Tenant,
    config_key: str,
    **kwargs: Any,
) -> Decided:
    started = time.monotonic()
    request = await request_call(producer, tenant, config_key, **kwargs)
    decision = await decisions.decision(request.call_id)
    return Decided(decision, time.monotonic() - started)
