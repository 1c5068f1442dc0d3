"""What a handler's failure does to its record: a bad record is dead-lettered and the stream moves
on (invariant 6); an output Kafka or MongoDB did not acknowledge keeps the record uncommitted, to
be read again, because nothing is wrong with the record (invariant 3: no call loses its
decision to a broker failover)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stamina
from aiokafka.errors import KafkaTimeoutError, NotLeaderForPartitionError
from aiokafka.structs import ConsumerRecord
from pymongo.errors import AutoReconnect, NotPrimaryError

from callplane_shared import consuming
from callplane_shared.consuming import decode_and_handle

pytestmark = pytest.mark.unit


class FakeBroker:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def publish(self, value: bytes, **kwargs: Any) -> None:
        self.published.append({"value": value, **kwargs})


def record(value: bytes = b'{"n": 1}') -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t", 0, 7, 0, 0, b"k", value, None, 0, 0, [])


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    # Retries go through stamina; its testing mode retries without waiting.
    stamina.set_testing(True, attempts=consuming.RETRIES)
    yield
    stamina.set_testing(False)


def failing(error: Exception) -> Any:
    attempts: list[int] = []

    async def handle(_: object) -> None:
        attempts.append(1)
        raise error

    handle.attempts = attempts  # type: ignore[attr-defined]
    return handle


@pytest.mark.parametrize(
    "error",
    [
        KafkaTimeoutError(),
        NotLeaderForPartitionError(),
        AutoReconnect("primary stepped down"),
        NotPrimaryError("not primary"),
    ],
)
async def test_an_unacknowledged_output_is_raised_for_redelivery_not_dead_lettered(
    error: Exception,
) -> None:
    broker = FakeBroker()
    handle = failing(error)
    with pytest.raises(type(error)):
        await decode_and_handle(
            broker,  # type: ignore[arg-type]
            record(),
            topic="t",
            service="s",
            decode=lambda raw: raw,
            handle=handle,
        )
    assert broker.published == []
    assert len(handle.attempts) == consuming.RETRIES


async def test_a_record_the_handler_cannot_handle_is_dead_lettered_and_passed() -> None:
    """Invariant 6: a failure of the record itself goes to the DLQ with its reason."""
    broker = FakeBroker()
    await decode_and_handle(
        broker,  # type: ignore[arg-type]
        record(),
        topic="t",
        service="s",
        decode=lambda raw: raw,
        handle=failing(ValueError("no such number")),
    )
    [dead] = broker.published
    assert dead["topic"] == "t.dlq"
    assert "no such number" in dead["headers"]["x-dlq-reason"]
