"""Masked calls end to end: MaskingRequest on Kafka → signed callback → CallDecision on Kafka."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer
from starlette.responses import Response

from callplane_shared.events import (
    CallDecision,
    CaptureDtmfInstruction,
    DecisionPath,
    ForwardInstruction,
    NumberLeased,
    PlayAudioInstruction,
    RejectInstruction,
)
from callplane_shared.topics import NUMBERS_LIFECYCLE
from callplane_shared.voice import FallbackForward, RejectReason
from tests.integration.number_masking.calls import (
    CALLER,
    DESTINATION,
    MASKED,
    create_config,
    decide,
    request_call,
    set_credentials,
)
from tests.integration.number_masking.conftest import MakeTenant, TopicTail, publish
from tests.integration.number_masking.customer import (
    Behaviour,
    CustomerServer,
    answer,
    endless_json,
    raw,
    slow,
    trickle,
)
from tests.support import eventually, unique

pytestmark = pytest.mark.integration

DIAL = {"command": "dial", "phoneNumber": DESTINATION.lstrip("+"), "callerId": CALLER}
# A short budget keeps failure tests fast; the margin covers Kafka and the test's own polling.
TOTAL_MS = 1000
MARGIN_S = 1.5


async def test_dial_is_signed_both_ways_and_forwarded(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    credentials = await set_credentials(tenant)
    path = f"/{unique('cb')}"
    options = {"recording": {"recordingType": "AUDIO"}, "clientReferenceId": "ref-1"}
    url = customer.on(path, answer({**DIAL, **options}), credentials) + "?tenant=a"
    key = await create_config(tenant, url)

    decided = await decide(producer, decisions, tenant, key)

    decision = decided.decision
    assert decision.path is DecisionPath.PRIMARY
    assert decision.decided_by == "number-masking"
    assert decision.account_id == tenant.account_id
    instruction = decision.instruction
    assert isinstance(instruction, ForwardInstruction)
    assert (instruction.destination, instruction.caller_id) == (DESTINATION, CALLER)
    assert not instruction.caller_id_replaced
    assert instruction.options == options
    [received] = customer.requests_to(path)
    assert received.v1_valid is True
    assert received.infobip_valid is True
    assert received.target == f"{path}?tenant=a"
    body = json.loads(received.body)
    assert body == {
        "from": CALLER,
        "to": MASKED,
        "correlationId": decision.call_id,
        "nmCorrelationId": decision.call_id,
    }
    assert credentials[1] not in received.headers.get("authorization", "")


async def test_redelivered_request_yields_same_decision_without_second_callback(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    path = f"/{unique('cb')}"
    key = await create_config(tenant, customer.on(path, answer(DIAL)))
    first = await request_call(producer, tenant, key)
    await decisions.wait(first.call_id)
    await request_call(producer, tenant, key, call_id=first.call_id)

    values = await decisions.wait(first.call_id, count=2)
    assert values[0] == values[1]  # identical duplicate, same eventId
    assert len(customer.requests_to(path)) == 1


async def test_audio_and_capture_dtmf_answers(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    path = f"/{unique('cb')}"

    async def behaviour(count: int) -> Response:
        if count == 1:
            return await answer({"command": "captureDtmf", "maxLength": 4, "timeout": 5})(count)
        return await answer({"command": "audio", "fileUrl": "https://example.com/a.wav"})(count)

    key = await create_config(tenant, customer.on(path, behaviour))
    first = await decide(producer, decisions, tenant, key)
    assert isinstance(first.decision.instruction, CaptureDtmfInstruction)
    assert first.decision.instruction.max_length == 4

    request = await request_call(
        producer, tenant, key, call_id=first.decision.call_id, caller="1234", dtmf_captured=True
    )
    values = await decisions.wait(request.call_id, count=2)
    second = CallDecision.model_validate_json(values[1] or b"")
    assert isinstance(second.instruction, PlayAudioInstruction)
    assert second.instruction.file_url == "https://example.com/a.wav"
    second_body = json.loads(customer.requests_to(path)[1].body)
    assert second_body["dtmfCaptured"] is True
    assert second_body["from"] == "1234"


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (slow(10), "timeout"),
        (answer({"error": "boom"}, status=500), "HTTP 500"),
        (raw(b"{not json", "application/json"), "not valid JSON"),
        (raw(b"<html>hi</html>", "text/html"), "is not JSON"),
        (raw(b'{"pad": "' + b"x" * 200_000 + b'"}', "application/json"), "over 65536 bytes"),
        (raw(b"", "text/plain", status=302, location="http://127.0.0.1:1/x"), "redirect"),
        (trickle(1.0), "timeout after"),
        (endless_json(10 * 1024 * 1024), "over 65536 bytes"),
        (answer({"command": "dial", "phoneNumber": "12"}), "invalid answer"),
        (answer({"command": "teleport"}), "unknown command"),
    ],
    ids=[
        "timeout",
        "500",
        "garbage-json",
        "not-json",
        "huge-body",
        "redirect-to-loopback",
        "slow-body-1-byte-per-s",
        "10-MB-body",
        "bad-number",
        "bad-command",
    ],
)
async def test_failed_callback_without_backup_or_fallback_is_rejected_in_time(  # noqa: PLR0917
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
    behaviour: Behaviour,
    reason: str,
) -> None:
    """Invariant 7: a failing callback cannot hold the call past its deadline."""
    tenant = await make_tenant()
    url = customer.on(f"/{unique('cb')}", behaviour)
    key = await create_config(tenant, url, totalTimeoutMs=TOTAL_MS)

    decided = await decide(producer, decisions, tenant, key)

    assert decided.decision.path is DecisionPath.REJECTED
    assert reason in (decided.decision.path_reason or "")
    instruction = decided.decision.instruction
    assert isinstance(instruction, RejectInstruction)
    assert instruction.reason is RejectReason.MASKING_UNAVAILABLE
    assert decided.seconds < TOTAL_MS / 1000 + MARGIN_S


async def test_tls_failure_is_decided_by_the_backup_in_time(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    """Invariant 7: a TLS failure is decided by the backup inside the deadline."""
    tenant = await make_tenant()
    # https to a server that speaks plain HTTP: the handshake fails.
    primary = customer.on(f"/{unique('tls')}", answer(DIAL)).replace("http://", "https://")
    backup = customer.on(f"/{unique('backup')}", answer(DIAL))
    key = await create_config(tenant, primary, backupCallbackUrl=backup, totalTimeoutMs=TOTAL_MS)

    decided = await decide(producer, decisions, tenant, key)

    assert decided.decision.path is DecisionPath.BACKUP
    assert "primary: TLS failure" in (decided.decision.path_reason or "")
    assert decided.seconds < TOTAL_MS / 1000 + MARGIN_S


async def test_private_address_is_refused_without_connecting(
    make_tenant: MakeTenant, producer: AIOKafkaProducer, decisions: TopicTail
) -> None:
    tenant = await make_tenant()
    key = await create_config(tenant, "http://10.0.0.1/cb")
    metadata = await create_config(tenant, "http://169.254.169.254/latest/meta-data")

    private = await decide(producer, decisions, tenant, key)
    cloud = await decide(producer, decisions, tenant, metadata)

    assert private.decision.path is DecisionPath.REJECTED
    assert "refused" in (private.decision.path_reason or "")
    assert "private" in (private.decision.path_reason or "")
    assert "metadata" in (cloud.decision.path_reason or "")
    # Refused before any connection attempt: far quicker than the 1 s connect timeout.
    assert private.seconds < 1.0


async def test_backup_answers_when_primary_fails(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    primary = customer.on(f"/{unique('cb')}", slow(10))
    backup_path = f"/{unique('backup')}"
    backup = customer.on(backup_path, answer(DIAL))
    key = await create_config(tenant, primary, backupCallbackUrl=backup, totalTimeoutMs=2000)

    decided = await decide(producer, decisions, tenant, key)

    assert decided.decision.path is DecisionPath.BACKUP
    assert "primary: timeout" in (decided.decision.path_reason or "")
    assert isinstance(decided.decision.instruction, ForwardInstruction)
    assert len(customer.requests_to(backup_path)) == 1
    assert decided.seconds < 2.0 + MARGIN_S


async def test_fallback_decides_when_primary_and_backup_fail(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    primary = customer.on(f"/{unique('cb')}", answer({}, status=503))
    backup = customer.on(f"/{unique('cb')}", raw(b"nope", "text/plain"))
    key = await create_config(tenant, primary, backupCallbackUrl=backup)

    decided = await decide(
        producer, decisions, tenant, key, fallback=FallbackForward(pstn_number=DESTINATION)
    )

    assert decided.decision.path is DecisionPath.FALLBACK
    reason = decided.decision.path_reason or ""
    assert "primary: HTTP 503" in reason
    assert "backup: content-type" in reason
    instruction = decided.decision.instruction
    assert isinstance(instruction, ForwardInstruction)
    assert (instruction.destination, instruction.caller_id) == (DESTINATION, MASKED)


async def test_foreign_caller_id_is_replaced_but_leased_one_is_kept(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    tenant = await make_tenant()
    leased = "+4179302" + str(int(unique("n")[-6:], 16) % 10**4).zfill(4)
    event = NumberLeased(
        number_key=unique("k").split("-")[1].upper() * 2,
        number=leased,
        account_id=tenant.account_id,
        capabilities=["VOICE"],
        type="VIRTUAL_LONG_NUMBER",
        country="CH",
    )
    await publish(producer, NUMBERS_LIFECYCLE.name, event.number_key, event)
    spoof = customer.on(f"/{unique('cb')}", answer({**DIAL, "callerId": "+14155550100"}))
    own = customer.on(f"/{unique('cb')}", answer({**DIAL, "callerId": leased}))
    spoof_key = await create_config(tenant, spoof)
    own_key = await create_config(tenant, own)

    replaced = await decide(producer, decisions, tenant, spoof_key)
    instruction = replaced.decision.instruction
    assert isinstance(instruction, ForwardInstruction)
    assert instruction.caller_id == MASKED
    assert instruction.caller_id_replaced
    assert "+14155550100" in (replaced.decision.path_reason or "")

    async def kept() -> ForwardInstruction | None:
        # The lifecycle event is consumed asynchronously; ask until the view has it.
        decided = await decide(producer, decisions, tenant, own_key)
        result = decided.decision.instruction
        assert isinstance(result, ForwardInstruction)
        return None if result.caller_id_replaced else result

    instruction = await eventually(kept, timeout=15, interval=0.2, what="leased callerId kept")
    assert instruction.caller_id == leased


async def test_slow_customer_does_not_delay_another_customers_calls(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    other_customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    """Invariant 8: one customer's hanging callback does not slow another customer's calls."""
    slow_tenant, fast_tenant = await make_tenant(), await make_tenant()
    slow_key = await create_config(slow_tenant, other_customer.on(f"/{unique('s')}", slow(10)))
    fast_url = customer.on(f"/{unique('f')}", answer(DIAL))
    fast_key = await create_config(fast_tenant, fast_url, totalTimeoutMs=2000)

    stuck = [
        asyncio.create_task(decide(producer, decisions, slow_tenant, slow_key)) for _ in range(8)
    ]
    fast = await asyncio.gather(
        *(decide(producer, decisions, fast_tenant, fast_key) for _ in range(8))
    )
    slow_results = await asyncio.gather(*stuck)

    assert all(d.decision.path is DecisionPath.PRIMARY for d in fast), [
        d.decision.path_reason for d in fast
    ]
    # Inside their own 2 s deadline while 8 calls of the other customer hang: handled one at a
    # time, they would queue behind 8 slow calls of 3 s each.
    assert max(d.seconds for d in fast) < 2.0, [round(d.seconds, 3) for d in fast]
    assert all(d.decision.path is DecisionPath.REJECTED for d in slow_results)
    # The slow customer's calls end at their own 3 s default deadline, not the customer's 10 s.
    assert max(d.seconds for d in slow_results) < 3.0 + MARGIN_S


async def test_a_changed_config_and_rotated_credentials_apply_to_the_very_next_call(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> None:
    """number-masking reuses a config and credentials between calls (MASKING_LOOKUP_CACHE_SECONDS);
    a change made through its API must not wait for that."""
    tenant = await make_tenant()
    old_credentials = await set_credentials(tenant)
    old_path, new_path = f"/{unique('cb-old')}", f"/{unique('cb-new')}"
    key = await create_config(tenant, customer.on(old_path, answer(DIAL), old_credentials))
    assert (await decide(producer, decisions, tenant, key)).decision.path is DecisionPath.PRIMARY

    new_credentials = unique("app"), unique("key")
    rotated = await tenant.client.put(
        "/voice/masking/2/credentials",
        json={"apiId": new_credentials[0], "key": new_credentials[1]},
    )
    assert rotated.status_code == 200, rotated.text
    new_url = customer.on(new_path, answer(DIAL), new_credentials)
    body = {"name": unique("cfg").replace("-", " "), "callbackUrl": new_url}
    changed = await tenant.client.put(f"/voice/masking/2/config/{key}", json=body)
    assert changed.status_code == 200, changed.text

    decided = await decide(producer, decisions, tenant, key)

    assert decided.decision.path is DecisionPath.PRIMARY
    assert len(customer.requests_to(old_path)) == 1
    [received] = customer.requests_to(new_path)
    assert received.infobip_valid is True  # signed with the rotated key

    deleted = await tenant.client.delete(f"/voice/masking/2/config/{key}")
    assert deleted.status_code == 200, deleted.text
    gone = await decide(
        producer, decisions, tenant, key, fallback=FallbackForward(pstn_number=DESTINATION)
    )
    assert gone.decision.path is DecisionPath.FALLBACK
    assert len(customer.requests_to(new_path)) == 1
