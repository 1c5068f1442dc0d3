"""aiokafka's outage storm: one WARNING per component when it starts, one with the duration."""

from __future__ import annotations

import logging

import pytest

from callplane_shared.kafka_outages import KafkaOutageLog
from callplane_shared.metrics import KAFKA_OUTAGE_SECONDS, KAFKA_OUTAGES

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _record(
    name: str, level: int = logging.ERROR, msg: str = "Unable connect to node"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, (), None)


def test_a_storm_becomes_one_warning_per_component_and_one_end_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outages = KafkaOutageLog(quiet_seconds=5, clock=clock)
    outages.service = "svc-outage-test"
    kept = []
    for _ in range(13 * 20):  # 13 s at 20 lines a second, from two components
        clock.now += 0.05
        for name in ("aiokafka.conn", "aiokafka.consumer.fetcher"):
            record = _record(name)
            if outages.filter(record):
                kept.append(record)
    assert [(r.name, r.levelname) for r in kept] == [
        ("aiokafka.conn", "WARNING"),
        ("aiokafka.consumer.fetcher", "WARNING"),
    ]
    assert "repeats suppressed" in kept[0].getMessage()
    assert KAFKA_OUTAGES.labels("svc-outage-test", "aiokafka.conn")._value.get() == 1  # noqa: SLF001

    clock.now += 4
    outages.tick()
    assert outages.open == ["aiokafka.conn", "aiokafka.consumer.fetcher"]  # not quiet long enough
    clock.now += 1
    with caplog.at_level(logging.WARNING):
        outages.tick()
    assert outages.open == []
    ends = [r.getMessage() for r in caplog.records if "over: it lasted" in r.getMessage()]
    assert len(ends) == 2
    assert "12.9 s (259 repeated lines suppressed)" in ends[0]
    seconds = KAFKA_OUTAGE_SECONDS.labels("svc-outage-test", "aiokafka.conn")._value.get()  # noqa: SLF001
    assert seconds == pytest.approx(12.95)


def test_other_loggers_and_info_lines_pass_untouched() -> None:
    outages = KafkaOutageLog(clock=Clock())
    assert outages.filter(_record("callplane_shared.views"))
    assert outages.filter(_record("aiokafka.conn", logging.INFO))
    assert outages.open == []


def test_a_record_seen_by_two_handlers_is_decided_once() -> None:
    outages = KafkaOutageLog(clock=Clock())
    first = _record("aiokafka.conn")
    assert outages.filter(first)
    assert outages.filter(first)  # the second handler sees the same decision
    assert not outages.filter(_record("aiokafka.conn"))
