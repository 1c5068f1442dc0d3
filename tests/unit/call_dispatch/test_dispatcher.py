"""The dispatch loop around the decider: every record ends as a decision or a dead letter with a
reason (invariant 6), and a batch whose publish failed is read again, not committed (invariant 3).
Kafka is replaced by fakes of the few calls the loop makes."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from pydantic import SecretStr

from call_dispatch.decision_log import DecisionLog
from call_dispatch.dispatcher import Dispatcher
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared.dlq import REASON
from callplane_shared.events import utc_now
from callplane_shared.supervision import Supervisor
from callplane_shared.voice import ForwardToPstn
from tests.unit.call_dispatch.builders import action_set, inbound, unique_number
from tests.unit.call_dispatch.test_edges import FakeCollection

pytestmark = pytest.mark.unit
TP = TopicPartition("calls.inbound", 0)


class FakeBatch:
    def __init__(self, sink: FakeOutbound) -> None:
        self._sink = sink
        self.records: list[tuple[str, bytes, bytes, dict[str, bytes]]] = []

    def add(self, topic: str, key: bytes, value: bytes, headers: Any = ()) -> None:
        self.records.append((topic, key, value, dict(headers)))

    async def send(self) -> list[asyncio.Future[Any]]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._sink.fail_next:
            self._sink.fail_next = False
            future.set_exception(ConnectionError("broker went away"))
        else:
            self._sink.published.extend(self.records)
            future.set_result(None)
        return [future]


class FakeOutbound:
    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, bytes, dict[str, bytes]]] = []
        self.fail_next = False

    def batch(self) -> FakeBatch:
        return FakeBatch(self)


class FakeConsumer:
    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.commits: list[dict[TopicPartition, int]] = []

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)


def _record(offset: int, value: bytes | None, key: bytes = b"k") -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        TP.topic, TP.partition, offset, 0, 0, key, value, None, 0, len(value or b""), []
    )


def _dispatcher(view: DispatchView) -> tuple[Dispatcher, FakeConsumer, FakeOutbound]:
    settings = Settings(dispatch_operator_token=SecretStr("t" * 32), max_call_age_seconds=60)
    supervisor = Supervisor("test")
    log = DecisionLog(FakeCollection(), supervisor=supervisor, enabled=False)  # type: ignore[arg-type]
    dispatcher = Dispatcher(settings, view, log, supervisor)
    consumer, outbound = FakeConsumer(), FakeOutbound()
    dispatcher._consumer = consumer  # noqa: SLF001
    dispatcher._outbound = outbound  # type: ignore[assignment]  # noqa: SLF001
    return dispatcher, consumer, outbound


def _view_with(number: str) -> DispatchView:
    view = DispatchView()
    event = action_set(number, 1, ForwardToPstn(pstn_number="+41445550501"))
    view.apply_action(number.encode(), event.model_dump_json(by_alias=True).encode())
    return view


def _call(number: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(inbound(number).model_dump_json(by_alias=True))
    return {**body, **fields}


async def test_bad_records_go_to_the_dlq_with_a_reason_and_the_next_call_is_decided() -> None:
    number = unique_number()
    dispatcher, consumer, outbound = _dispatcher(_view_with(number))
    good = _call(number)
    bad = [
        None,
        b"not json",
        json.dumps(_call(number, receivedAt="2026-01-01T10:00:00")).encode(),
        json.dumps(_call(number, to=12345)).encode(),
        json.dumps(_call(number, sipHeaders={"x": "y" * 5000})).encode(),
        b'{"callId": "' + b"x" * 900_000 + b'"}',
    ]
    records = [_record(i, v) for i, v in enumerate(bad)]
    records.append(_record(len(bad), json.dumps(good).encode(), good["callId"].encode()))
    await dispatcher._handle({TP: records})  # noqa: SLF001

    dead = [r for r in outbound.published if r[0] == "calls.inbound.dlq"]
    reasons = [r[3][REASON].decode() for r in dead]
    assert len(reasons) == len(bad)
    assert "tombstone" in reasons[0]
    assert "Invalid JSON" in reasons[1]
    assert "timezone" in reasons[2]
    assert "to" in reasons[3]
    assert "sipHeaders" in reasons[4]
    assert "larger than MAX_RECORD_BYTES" in reasons[5]
    decisions = [r for r in outbound.published if r[0] == "calls.decisions"]
    assert [r[1].decode() for r in decisions] == [good["callId"]]
    assert consumer.commits == [{TP: len(records)}]
    assert consumer.seeks == []


async def test_a_failing_decider_dead_letters_the_call_not_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = unique_number()
    dispatcher, _, outbound = _dispatcher(_view_with(number))

    def broken(*_: object) -> None:
        raise ValueError("a bug in one branch")

    monkeypatch.setattr("call_dispatch.dispatcher.decide", broken)
    call = _call(number)
    await dispatcher._handle({TP: [_record(0, json.dumps(call).encode())]})  # noqa: SLF001
    (dead,) = outbound.published
    assert dead[3][REASON] == b"decision failed: ValueError: a bug in one branch"


async def test_calls_older_than_the_age_limit_are_skipped_and_counted() -> None:
    number = unique_number()
    dispatcher, consumer, outbound = _dispatcher(_view_with(number))
    old = _call(number, receivedAt=(utc_now() - timedelta(minutes=5)).isoformat())
    await dispatcher._handle({TP: [_record(0, json.dumps(old).encode())]})  # noqa: SLF001
    assert outbound.published == []
    assert dispatcher.skipped == 1
    assert consumer.commits == [{TP: 1}]


async def test_a_failed_publish_seeks_back_to_the_batch_start_and_commits_nothing() -> None:
    number = unique_number()
    dispatcher, consumer, outbound = _dispatcher(_view_with(number))
    other = TopicPartition("calls.inbound", 3)
    batch = {
        TP: [_record(7, json.dumps(_call(number)).encode()), _record(8, b"junk")],
        other: [_record(40, json.dumps(_call(number)).encode())],
    }
    outbound.fail_next = True
    await dispatcher._handle(batch)  # noqa: SLF001
    assert consumer.seeks == [(TP, 7), (other, 40)]
    assert consumer.commits == []
    assert outbound.published == []

    await dispatcher._handle(batch)  # noqa: SLF001 - the re-read batch, published this time
    assert consumer.commits == [{TP: 9, other: 41}]
    assert [r[0] for r in outbound.published].count("calls.decisions") == 2
