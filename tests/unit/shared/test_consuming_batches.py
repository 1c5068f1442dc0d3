"""Batches keep every per-record guarantee of `consume` (invariant 6): an undecodable record or
one the handler keeps failing on is dead-lettered alone while its neighbours are handled, and an
output Kafka or MongoDB did not acknowledge leaves the whole batch to be read again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import stamina
from aiokafka.structs import ConsumerRecord
from pydantic import BaseModel
from pymongo.errors import AutoReconnect

from callplane_shared import consuming
from callplane_shared.consuming import Delivered, decode_and_handle_batch

pytestmark = pytest.mark.unit


class Event(BaseModel):
    n: int


class FakeBroker:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, value: bytes, **kwargs: Any) -> None:
        self.published.append({"value": value, **kwargs})


def record(offset: int, value: bytes, headers: list[tuple[str, bytes]] | None = None) -> Any:
    return ConsumerRecord("t", 0, offset, 0, 0, b"k", value, None, 0, 0, headers or [])


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    stamina.set_testing(True, attempts=consuming.RETRIES)
    yield
    stamina.set_testing(False)


async def run(broker: FakeBroker, records: list[Any], handle: Any) -> None:
    await decode_and_handle_batch(
        broker,  # type: ignore[arg-type]
        records,
        topic="t",
        service="s",
        decode=Event.model_validate_json,
        handle=handle,
    )


async def test_one_call_handles_the_batch_and_an_undecodable_record_is_dead_lettered() -> None:
    broker, seen = FakeBroker(), list[list[int]]()

    async def handle(batch: Sequence[Delivered[Event]]) -> None:
        seen.append([d.event.n for d in batch])

    await run(
        broker, [record(1, b'{"n": 1}'), record(2, b"not json"), record(3, b'{"n": 3}')], handle
    )
    assert seen == [[1, 3]]
    assert [p["value"] for p in broker.published] == [b"not json"]


async def test_a_record_the_handler_keeps_failing_on_is_dead_lettered_alone() -> None:
    broker, handled = FakeBroker(), list[int]()

    async def handle(batch: Sequence[Delivered[Event]]) -> None:
        if any(d.event.n == 2 for d in batch):
            raise ValueError("poison")
        handled.extend(d.event.n for d in batch)

    await run(broker, [record(n, f'{{"n": {n}}}'.encode()) for n in (1, 2, 3)], handle)
    assert handled == [1, 3]
    assert [p["value"] for p in broker.published] == [b'{"n": 2}']


async def test_an_unacknowledged_output_rewinds_the_batch_instead_of_dead_lettering() -> None:
    broker = FakeBroker()

    async def handle(_: Sequence[Delivered[Event]]) -> None:
        raise AutoReconnect("primary stepped down")

    with pytest.raises(AutoReconnect):
        await run(broker, [record(1, b'{"n": 1}')], handle)
    assert broker.published == []


def test_a_delivered_record_exposes_its_headers() -> None:
    delivered = Delivered(Event(n=1), record(1, b"{}", [("traceparent", b"00-ab-cd-01")]))
    assert delivered.header("traceparent") == "00-ab-cd-01"
    assert delivered.header("missing") is None
