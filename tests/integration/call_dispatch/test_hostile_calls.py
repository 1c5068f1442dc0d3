"""Hostile calls against the running call-dispatch (issue 12, invariant 6): whatever a record on
calls.inbound holds, it ends as a decision or a dead letter with the reason, and the next call is
still decided. Before the fix one naive `receivedAt` stopped every call for good."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import strategies as st

from call_dispatch.settings import Settings
from callplane_shared.dlq import REASON
from callplane_shared.events import InboundCall, utc_now
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, MASKING_REQUESTS
from callplane_shared.voice import ForwardToPstn
from tests.endpoints import Endpoints
from tests.integration.call_dispatch.support import TopicWatcher, publish_action
from tests.integration.hostile.shapes import broken, draw, encoded
from tests.integration.observability.scrape import scrape, value
from tests.support import eventually, unique
from tests.unit.call_dispatch.builders import action_set, inbound, unique_number

pytestmark = pytest.mark.integration
DLQ = CALLS_INBOUND.dlq.name
MAX_AGE = Settings.model_fields["max_call_age_seconds"].default
SKIPPED = "callplane_calls_skipped_total"


def _body(call_id: str, to: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(inbound(to).model_dump_json(by_alias=True))
    return {**body, "callId": call_id}


async def _send(producer: AIOKafkaProducer, key: str, value: bytes | None) -> None:
    await producer.send_and_wait(CALLS_INBOUND.name, value, key=key.encode())


def _outcome(watcher: TopicWatcher, key: str) -> str | None:
    """How call `key` ended: a decision, a masking request, or a dead letter with its reason."""
    if watcher.records[CALLS_DECISIONS.name].get(key) or watcher.records[MASKING_REQUESTS.name].get(
        key
    ):
        return "decided"
    for headers, _ in watcher.records[DLQ].get(key, []):
        reason = headers.get(REASON, b"").decode()
        assert reason, f"{key} dead-lettered without a reason"
        return f"dlq: {reason}"
    return None


async def _ended(watcher: TopicWatcher, keys: list[str], timeout: float = 60) -> dict[str, str]:
    async def all_ended() -> dict[str, str] | None:
        outcomes = {k: _outcome(watcher, k) for k in keys}
        missing = [k for k, o in outcomes.items() if o is None]
        return None if missing else {k: o for k, o in outcomes.items() if o is not None}

    return await eventually(all_ended, timeout=timeout, interval=0.2, what="every call ended")


async def _still_decides(producer: AIOKafkaProducer, watcher: TopicWatcher) -> None:
    number = unique_number()
    await publish_action(producer, action_set(number, 1, ForwardToPstn(pstn_number="+41445550777")))
    call = inbound(number)

    async def forwarded() -> bool:
        await _send(producer, call.call_id, call.model_dump_json(by_alias=True).encode())
        decision = await watcher.first(CALLS_DECISIONS.name, call.call_id, timeout=5)
        return bool(decision["instruction"]["kind"] == "forward")

    await eventually(forwarded, timeout=30, what="a call after the hostile ones is forwarded")


async def test_hand_picked_hostile_calls_are_dead_lettered_and_the_next_call_decided(
    producer: AIOKafkaProducer, dispatch: TopicWatcher
) -> None:
    to = unique_number()
    cases: dict[str, bytes | None] = {}
    changes: dict[str, dict[str, Any]] = {
        "naive-timestamp": {"receivedAt": "2026-01-01T10:00:00"},
        "huge-900kb": {"from": "9" * 900_000},
        "call-id-int": {"callId": 42},
        "from-list": {"from": ["+41"]},
        "to-object": {"to": {"e164": "+41"}},
        "received-at-bool": {"receivedAt": True},
        "endpoint-string": {"endpoint": "PHONE"},
        "endpoint-type-unknown": {"endpoint": {"type": "CARRIER_PIGEON"}},
        "sip-headers-list": {"sipHeaders": ["a"]},
        "schema-version-text": {"schemaVersion": "one"},
        "event-id-float": {"eventId": 1.5},
        "occurred-at-naive": {"occurredAt": "2026-01-01T10:00:00"},
    }
    for name, change in changes.items():
        key = unique(name)
        cases[key] = json.dumps({**_body(key, to), **change}).encode()
    cases[unique("not-json")] = b"\x00\xffnot json at all"
    cases[unique("tombstone")] = None
    for key, raw in cases.items():
        await _send(producer, key, raw)

    outcomes = await _ended(dispatch, list(cases))
    refused = {k: o for k, o in outcomes.items() if not o.startswith("dlq: ")}
    assert refused == {}, "decided although the record breaks the contract"
    naive = next(o for k, o in outcomes.items() if k.startswith("naive-timestamp"))
    assert "timezone" in naive
    huge = next(o for k, o in outcomes.items() if k.startswith("huge-900kb"))
    assert "larger than MAX_RECORD_BYTES" in huge
    await _still_decides(producer, dispatch)


PLACEHOLDER = "{call-id}"


def _inbound_shapes(to: str) -> st.SearchStrategy[bytes]:
    """An InboundCall in every shape: valid with odd but legal values, or broken. Its callId,
    where it is still a string, is PLACEHOLDER, replaced by a unique id when published."""
    valid = _body(PLACEHOLDER, to)
    legal_times = st.sampled_from(
        [
            utc_now().isoformat(),
            utc_now().astimezone().isoformat(),
            utc_now().strftime("%Y-%m-%dT%H:%M:%S.%f+14:00"),  # clock skew: in the future
            "9999-12-31T23:59:59Z",
            (utc_now() - timedelta(days=3)).isoformat(),  # older than MAX_CALL_AGE: skipped
            int(utc_now().timestamp()),  # a Unix time, which pydantic reads as UTC
        ]
    )
    odd_but_legal = st.fixed_dictionaries(
        {
            "receivedAt": legal_times,
            "from": st.sampled_from(["+41445550100", "anonymous", "", "0" * 256, "sip:a@b"]),
            "to": st.sampled_from([to, to.lstrip("+"), "+999", "*123#", " "]),
        },
        optional={"sipHeaders": st.dictionaries(st.text(max_size=8), st.text(max_size=8))},
    ).map(lambda changes: {**valid, **changes})
    return encoded(st.one_of(odd_but_legal, broken(valid, ("receivedAt", "occurredAt"))))


def _expected(key: str, raw: bytes) -> tuple[str, str]:
    """(outcome, the key it is found under) as the contract says: dead letter (under the
    record's key), skipped as too old, or decided (under the call's own callId)."""
    if len(raw) > Settings.model_fields["max_record_bytes"].default:
        return "dlq", key
    try:
        call = InboundCall.model_validate_json(raw)
    except ValueError:
        return "dlq", key
    if (utc_now() - call.received_at).total_seconds() > MAX_AGE:
        return "skipped", key
    return "decided", call.call_id


async def test_generated_calls_each_end_as_a_decision_or_a_reasoned_dead_letter(
    producer: AIOKafkaProducer, dispatch: TopicWatcher, endpoints: Endpoints
) -> None:
    to = unique_number()
    await publish_action(producer, action_set(to, 1, ForwardToPstn(pstn_number="+41445550778")))
    published = [
        (key, raw.replace(json.dumps(PLACEHOLDER).encode(), json.dumps(key).encode()))
        for key, raw in ((unique("hyp"), raw) for raw in draw(_inbound_shapes(to), 300))
    ]
    expected = {key: _expected(key, raw) for key, raw in published}
    skipped = sum(1 for outcome, _ in expected.values() if outcome == "skipped")
    async with httpx.AsyncClient(base_url=endpoints.base_url) as client:
        samples = await scrape(client, "call-dispatch")
        before = value(samples, SKIPPED, service="call-dispatch", reason="too_old")
        for key, raw in published:
            await _send(producer, key, raw)
        waited = {found: o for o, found in expected.values() if o != "skipped"}
        outcomes = await _ended(dispatch, list(waited), timeout=120)

        async def skips_counted() -> bool:
            samples = await scrape(client, "call-dispatch")
            now = value(samples, SKIPPED, service="call-dispatch", reason="too_old")
            return now - before == skipped

        await eventually(skips_counted, timeout=30, what=f"{skipped} old calls counted as skipped")
    wrong = {k: o for k, o in outcomes.items() if o.split(":")[0] != waited[k]}
    assert wrong == {}, "outcome differs from what the contract says"
    await _still_decides(producer, dispatch)
