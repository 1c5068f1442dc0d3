"""Trace continuity for Kafka records read outside FastStream's subscribers (our own consumers
and compacted-topic views): the span of handling a record continues the trace whose context the
producer put in the record's headers (W3C `traceparent`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind
from opentelemetry.util.types import AttributeValue

_tracer = trace.get_tracer("callplane.kafka")

Headers = Sequence[tuple[str, bytes]]


def context_from_headers(headers: Headers | None) -> Context:
    carrier = {key.lower(): value.decode(errors="replace") for key, value in headers or ()}
    return propagate.extract(carrier)


def has_trace_context(headers: Headers | None) -> bool:
    return any(key.lower() == "traceparent" for key, _ in headers or ())


@contextmanager
def consumer_span(
    topic: str, headers: Headers | None, *, partition: int, offset: int, key: bytes | None
) -> Iterator[Span]:
    """A CONSUMER span named like FastStream's (`<topic> process`), child of the record's trace."""
    attributes: dict[str, AttributeValue] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.destination.partition.id": str(partition),
        "messaging.kafka.offset": offset,
    }
    if key:
        attributes["messaging.kafka.message.key"] = key.decode(errors="replace")
    with _tracer.start_as_current_span(
        f"{topic} process",
        context=context_from_headers(headers),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    ) as span:
        yield span
