"""How the librdkafka clients read a batch (`read_batch`), against a fake consumer: a lone
record is handed over at once, error events come back for the caller, a fatal one is raised."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, Message

from callplane_shared.librdkafka import read_batch

pytestmark = pytest.mark.unit


class FakeConsumer:
    """poll/consume over a list; records how long each call was allowed to wait."""

    def __init__(self, messages: list[Message]) -> None:
        self._messages = messages
        self.waits: list[float] = []

    def poll(self, timeout: float) -> Message | None:
        self.waits.append(timeout)
        return self._messages.pop(0) if self._messages else None

    def consume(self, count: int, timeout: float) -> list[Message]:
        self.waits.append(timeout)
        taken, self._messages = self._messages[:count], self._messages[count:]
        return taken


def _message(offset: int, error: KafkaError | None = None) -> Message:
    return Message(topic="t", partition=0, offset=offset, value=b"v", error=error)


def test_the_first_record_is_awaited_and_the_rest_taken_without_waiting() -> None:
    consumer = FakeConsumer([_message(1), _message(2), _message(3)])
    read = read_batch(consumer, 2, 0.5)  # type: ignore[arg-type]
    assert [m.offset() for m in read] == [1, 2]
    assert consumer.waits == [0.5, 0]  # a lone record never waits out consume's timeout


def test_nothing_within_the_wait_is_an_empty_batch() -> None:
    assert read_batch(FakeConsumer([]), 10, 0.1) == []  # type: ignore[arg-type]


def test_error_events_are_returned_and_a_fatal_one_is_raised() -> None:
    eof = KafkaError(KafkaError._PARTITION_EOF)  # noqa: SLF001 - librdkafka's name
    read = read_batch(FakeConsumer([_message(1), _message(2, eof)]), 10, 0.1)  # type: ignore[arg-type]
    assert [m.error() is None for m in read] == [True, False]

    fenced = KafkaError(KafkaError.FENCED_INSTANCE_ID, "fenced", fatal=True)
    with pytest.raises(KafkaException, match="fenced"):
        read_batch(FakeConsumer([_message(1), _message(2, fenced)]), 10, 0.1)  # type: ignore[arg-type]


def test_the_fatal_event_as_librdkafka_delivers_it_is_raised() -> None:
    """A static member fenced after its session timed out: the event has code _FATAL and no
    fatal flag (seen in `make bench-scaleout`); reading past it left a live process deciding
    nothing."""
    event = KafkaError(KafkaError._FATAL, "Static consumer fenced")  # noqa: SLF001
    assert not event.fatal()
    with pytest.raises(KafkaException, match="fenced"):
        read_batch(FakeConsumer([_message(1), _message(2, event)]), 10, 0.1)  # type: ignore[arg-type]
