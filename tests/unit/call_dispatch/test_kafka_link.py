"""The dispatcher's librdkafka reader: transient errors are left to librdkafka, a fatal one ends
the loop (so the process stops being live instead of polling a consumer that is gone)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Message

from call_dispatch.kafka_link import KafkaLink

pytestmark = pytest.mark.unit


class FakeConsumer:
    def __init__(self, messages: list[Message]) -> None:
        self._messages = messages

    def poll(self, _: float) -> Message | None:
        return self._messages.pop(0) if self._messages else None

    def consume(self, count: int, _: float) -> list[Message]:
        taken, self._messages = self._messages[:count], self._messages[count:]
        return taken


def _link(messages: list[Message]) -> KafkaLink:
    link = KafkaLink(
        {"bootstrap.servers": "127.0.0.1:1"},
        topic="calls.inbound",
        group="test",
        instance_id=None,
        client_id="test",
        consumer_options={},
        producer_options={},
    )
    link._consumer = FakeConsumer(messages)  # type: ignore[assignment]  # noqa: SLF001
    return link


def _message(offset: int, **fields: Any) -> Message:
    return Message(topic="calls.inbound", partition=0, offset=offset, **fields)


def test_transient_errors_are_skipped_and_the_records_around_them_kept() -> None:
    transient = KafkaError(KafkaError._TRANSPORT)  # noqa: SLF001 - librdkafka's name
    link = _link([_message(1, value=b"a"), _message(2, error=transient), _message(3, value=b"b")])
    assert [r.offset for r in link._fetch(10)] == [1, 3]  # noqa: SLF001


def test_a_fatal_consumer_error_is_raised() -> None:
    fenced = KafkaError(KafkaError._FATAL, "fenced by another member", fatal=True)  # noqa: SLF001
    link = _link([_message(1, value=b"a"), _message(2, error=fenced)])
    with pytest.raises(KafkaException, match="fenced"):
        link._fetch(10)  # noqa: SLF001
