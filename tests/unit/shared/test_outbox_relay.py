"""When the outbox relay sweeps: at start, every sweep interval, and soon after a failed publish
of this process (a sweep is a full collection scan on FerretDB, so it must not run every tick)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.collection import AsyncCollection

from callplane_shared import outbox
from callplane_shared.supervision import Supervisor

pytestmark = pytest.mark.unit


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _CountingRelay(outbox.OutboxRelay):
    def __init__(self) -> None:
        super().__init__(
            cast("KafkaBroker", None), [], supervisor=Supervisor("test"), sweep_seconds=15
        )
        self.sweeps = 0

    async def relay_once(self) -> int:
        self.sweeps += 1
        return 0


class _FailingBroker:
    async def publish(self, *_: object, **__: object) -> None:
        raise ConnectionError("broker gone")


class _OneDocument:
    async def find_one(self, *_: object, **__: object) -> dict[str, Any]:
        return {"_outbox": [outbox.outbox_entry("t", "k", None)]}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr("callplane_shared.outbox.time.monotonic", fake)
    monkeypatch.setattr(outbox, "_rescan_at", None)
    return fake


async def test_the_first_tick_sweeps_then_only_every_sweep_interval(clock: _Clock) -> None:
    relay = _CountingRelay()
    await relay.relay_due()
    assert relay.sweeps == 1  # what a crash before this start left behind
    clock.now += 14
    await relay.relay_due()
    assert relay.sweeps == 1
    clock.now += 1
    await relay.relay_due()
    assert relay.sweeps == 2


async def test_a_failed_publish_brings_the_sweep_forward_past_the_grace(clock: _Clock) -> None:
    relay = _CountingRelay()
    await relay.relay_due()
    collection = cast("AsyncCollection[dict[str, Any]]", _OneDocument())
    with pytest.raises(ConnectionError):
        await outbox.flush(cast("KafkaBroker", _FailingBroker()), collection, {"_id": "x"})
    await relay.relay_due()
    assert relay.sweeps == 1  # the entry is younger than the grace: a sweep would skip it
    clock.now += outbox.GRACE.total_seconds() + 1
    await relay.relay_due()
    assert relay.sweeps == 2
    clock.now += 1
    await relay.relay_due()
    assert relay.sweeps == 2  # the hint is used once
