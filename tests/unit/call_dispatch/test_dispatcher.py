"""The dispatch loop around the decider: every record ends as a decision or a dead letter with a
reason (invariant 6), and a batch whose publish failed is read again, not committed (invariant 3).
Kafka is replaced by fakes of the few calls the loop makes."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from confluent_kafka import KafkaError

from call_dispatch.dispatcher import Dispatcher
from call_dispatch.kafka_link import Batch, Record
from call_dispatch.replay import Published
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared.dlq import REASON
from callplane_shared.events import utc_now
from callplane_shared.supervision import Supervisor
from callplane_shared.voice import ForwardToPstn
from tests.unit.call_dispatch.builders import action_set, inbound, unique_number

pytestmark = pytest.mark.unit
TP = ("calls.inbound", 0)
Produced = tuple[str, bytes, bytes, dict[str, bytes]]


class FakeLink:
    """Kafka as the loop sees it: produce into a batch, acknowledge it later, seek, commit."""

    def __init__(self) -> None:
        self.produced: dict[int, list[Produced]] = {}
        self.published: list[Produced] = []
        self.seeks: list[tuple[tuple[str, int], int]] = []
        self.commits: list[dict[tuple[str, int], int]] = []
        self.fail_next = False

    def produce(self, batch: Batch, topic: str, key: bytes, value: bytes, headers: Any) -> None:
        self.produced.setdefault(id(batch), []).append((topic, key, value, dict(headers)))

    def acknowledge(self, batch: Batch) -> None:
        """Kafka's delivery reports for every record of `batch`."""
        produced = self.produced.pop(id(batch), [])
        error = None
        if self.fail_next:
            self.fail_next = False
            error = KafkaError(KafkaError._TRANSPORT)  # noqa: SLF001 - librdkafka's name
        else:
            self.published.extend(produced)
        for _ in produced:
            batch.delivered(error, None)  # type: ignore[arg-type]

    def serve_acks(self) -> None:
        """Delivery reports are handed over by `acknowledge`, when a test decides."""

    def seek(self, partition: tuple[str, int], offset: int) -> None:
        self.seeks.append((partition, offset))

    def commit(self, offsets: dict[tuple[str, int], int], *, wait: bool = False) -> None:
        del wait
        self.commits.append(offsets)


def _record(
    offset: int, value: bytes | None, key: bytes = b"k", tp: tuple[str, int] = TP
) -> Record:
    return Record(tp[0], tp[1], offset, key, value, [])


def _dispatcher(
    view: DispatchView, **settings_fields: Any
) -> tuple[Dispatcher, FakeLink, FakeLink]:
    settings = Settings(max_call_age_seconds=60, **settings_fields)
    dispatcher = Dispatcher(settings, view, Supervisor("test"))
    link = FakeLink()
    dispatcher._link = link  # noqa: SLF001
    return dispatcher, link, link


async def _settled(dispatcher: Dispatcher, batch: Batch) -> None:
    """What the loop does once a batch's acknowledgements are in."""
    await asyncio.wait([batch.acked])
    if not dispatcher._settle():  # noqa: SLF001
        dispatcher._rewind()  # noqa: SLF001


async def _handle(dispatcher: Dispatcher, batches: dict[tuple[str, int], list[Record]]) -> None:
    """One batch through the loop: decided, produced, acknowledged, then committed or re-read."""
    link = dispatcher._link  # noqa: SLF001
    assert isinstance(link, FakeLink)
    batch = dispatcher._submit([r for records in batches.values() for r in records])  # noqa: SLF001
    link.acknowledge(batch)
    await _settled(dispatcher, batch)


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
    await _handle(dispatcher, {TP: records})

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
    await _handle(dispatcher, {TP: [_record(0, json.dumps(call).encode())]})
    (dead,) = outbound.published
    assert dead[3][REASON] == b"decision failed: ValueError: a bug in one branch"


async def test_calls_older_than_the_age_limit_are_skipped_and_counted() -> None:
    number = unique_number()
    dispatcher, consumer, outbound = _dispatcher(_view_with(number))
    old = _call(number, receivedAt=(utc_now() - timedelta(minutes=5)).isoformat())
    await _handle(dispatcher, {TP: [_record(0, json.dumps(old).encode())]})
    assert outbound.published == []
    assert dispatcher.skipped == 1
    assert consumer.commits == [{TP: 1}]


async def test_a_failed_publish_seeks_back_to_the_batch_start_and_commits_nothing() -> None:
    number = unique_number()
    dispatcher, consumer, outbound = _dispatcher(_view_with(number))
    other = ("calls.inbound", 3)
    batch = {
        TP: [_record(7, json.dumps(_call(number)).encode()), _record(8, b"junk")],
        other: [_record(40, json.dumps(_call(number)).encode(), tp=other)],
    }
    outbound.fail_next = True
    await _handle(dispatcher, batch)
    assert consumer.seeks == [(TP, 7), (other, 40)]
    assert consumer.commits == []
    assert outbound.published == []

    await _handle(dispatcher, batch)  # the re-read batch, published this time
    assert consumer.commits == [{TP: 9, other: 41}]
    assert [r[0] for r in outbound.published].count("calls.decisions") == 2


async def test_a_batch_acknowledged_early_waits_for_the_one_before_it() -> None:
    """Invariant 3 with the pipeline: the commit never passes an unacknowledged decision."""
    number = unique_number()
    dispatcher, link, _ = _dispatcher(_view_with(number))
    first = dispatcher._submit([_record(0, json.dumps(_call(number)).encode())])  # noqa: SLF001
    second = dispatcher._submit([_record(1, json.dumps(_call(number)).encode())])  # noqa: SLF001
    link.acknowledge(second)
    await asyncio.wait([second.acked])
    assert dispatcher._settle()  # noqa: SLF001
    assert link.commits == []

    link.acknowledge(first)
    await _settled(dispatcher, first)
    assert link.commits == [{TP: 2}]


async def test_batches_settled_within_the_commit_interval_are_committed_together() -> None:
    """One offset commit per interval, not per batch; stopping commits what is left."""
    number = unique_number()
    dispatcher, link, _ = _dispatcher(_view_with(number), commit_interval_ms=5_000)
    other = ("calls.inbound", 3)
    await _handle(dispatcher, {TP: [_record(0, json.dumps(_call(number)).encode())]})
    assert link.commits == [{TP: 1}]  # the first is not held back

    await _handle(dispatcher, {TP: [_record(1, json.dumps(_call(number)).encode())]})
    await _handle(dispatcher, {other: [_record(7, json.dumps(_call(number)).encode(), tp=other)]})
    assert link.commits == [{TP: 1}]

    assert dispatcher._settle(wait=True)  # noqa: SLF001 - what stopping does
    assert link.commits == [{TP: 1}, {TP: 2, other: 8}]


async def test_a_failed_batch_drops_the_acknowledged_ones_after_it_and_reads_them_again() -> None:
    number = unique_number()
    dispatcher, link, _ = _dispatcher(_view_with(number))
    other = ("calls.inbound", 3)
    first = dispatcher._submit([_record(5, json.dumps(_call(number)).encode())])  # noqa: SLF001
    second = dispatcher._submit(  # noqa: SLF001
        [
            _record(6, json.dumps(_call(number)).encode()),
            _record(9, json.dumps(_call(number)).encode(), tp=other),
        ]
    )
    link.acknowledge(second)
    link.fail_next = True
    link.acknowledge(first)
    await _settled(dispatcher, first)
    assert link.commits == []
    assert link.seeks == [(TP, 5), (other, 9)]


async def test_a_call_read_again_after_its_action_changed_gets_the_same_decision() -> None:
    """Invariant 3 across a coordinator failover: the group handed the partition back from the
    last commit while the number's action changed; the call read again is answered with the
    record published the first time, not decided afresh into a second, different decision."""
    number = unique_number()
    view = _view_with(number)
    dispatcher, _, outbound = _dispatcher(view)
    call = json.dumps(_call(number)).encode()
    await _handle(dispatcher, {TP: [_record(3, call)]})
    changed = action_set(number, 2, ForwardToPstn(pstn_number="+41445550502"))
    view.apply_action(number.encode(), changed.model_dump_json(by_alias=True).encode())

    await _handle(dispatcher, {TP: [_record(3, call)]})  # re-delivered from the last commit
    first, again = [r for r in outbound.published if r[0] == "calls.decisions"]
    assert again == first
    assert json.loads(first[2])["actionVersion"] == 1
    assert dispatcher.replayed == 1

    fresh = json.dumps(_call(number)).encode()  # a new call sees the new action
    await _handle(dispatcher, {TP: [_record(4, fresh)]})
    assert json.loads(outbound.published[-1][2])["actionVersion"] == 2


def test_the_replay_memory_is_bounded_oldest_first() -> None:
    published: Published[str] = Published(capacity=2)
    for call_id in ("a", "b", "c"):
        published.remember(call_id, f"record of {call_id}")
    assert len(published) == 2
    assert published.get("a") is None
    assert published.get("c") == "record of c"
