"""A Jaeger trace as the rows of a waterfall (pure): each span's service, operation, start
offset and duration, as percentages of the whole trace for the bars, with its attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_SPANS = 500  # a page draws at most this many rows; a larger trace says so
MAX_ATTRIBUTE = 200
MIN_BAR_PERCENT = 0.5  # a span of a few microseconds still shows as a visible mark


@dataclass(frozen=True)
class SpanRow:
    span_id: str
    depth: int
    service: str
    operation: str
    start_ms: float
    duration_ms: float
    offset_percent: float
    width_percent: float
    error: bool
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Waterfall:
    trace_id: str
    total_ms: float
    rows: tuple[SpanRow, ...]
    services: tuple[str, ...]
    truncated: bool


def _parent(span: dict[str, Any]) -> str | None:
    for ref in span.get("references") or []:
        if ref.get("refType") == "CHILD_OF":
            return str(ref.get("spanID"))
    return None


def _depths(spans: list[dict[str, Any]]) -> dict[str, int]:
    parents = {str(s.get("spanID")): _parent(s) for s in spans}
    depths: dict[str, int] = {}
    for span_id, parent in parents.items():
        depth, seen, current = 0, {span_id}, parent
        while current in parents and current not in seen:  # a cycle in bad data ends the walk
            seen.add(current)
            depth += 1
            current = parents[current]
        depths[span_id] = depth
    return depths


def _attributes(span: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    tags = sorted(
        (str(t.get("key")), str(t.get("value"))[:MAX_ATTRIBUTE]) for t in span.get("tags") or []
    )
    return tuple(tags)


def waterfall(trace: dict[str, Any]) -> Waterfall:
    processes = {k: str(v.get("serviceName")) for k, v in (trace.get("processes") or {}).items()}
    spans = sorted(trace.get("spans") or [], key=lambda s: int(s.get("startTime", 0)))
    truncated = len(spans) > MAX_SPANS
    spans = spans[:MAX_SPANS]
    if not spans:
        return Waterfall(str(trace.get("traceID", "")), 0.0, (), (), truncated)
    start = min(int(s.get("startTime", 0)) for s in spans)
    end = max(int(s.get("startTime", 0)) + int(s.get("duration", 0)) for s in spans)
    total = max(end - start, 1)
    depths = _depths(spans)
    rows = []
    for span in spans:
        offset = int(span.get("startTime", 0)) - start
        duration = int(span.get("duration", 0))
        attributes = _attributes(span)
        rows.append(
            SpanRow(
                span_id=str(span.get("spanID")),
                depth=depths.get(str(span.get("spanID")), 0),
                service=processes.get(str(span.get("processID")), "?"),
                operation=str(span.get("operationName", ""))[:MAX_ATTRIBUTE],
                start_ms=round(offset / 1000, 3),
                duration_ms=round(duration / 1000, 3),
                offset_percent=round(100 * offset / total, 3),
                width_percent=max(round(100 * duration / total, 3), MIN_BAR_PERCENT),
                error=("error", "true") in attributes,
                attributes=attributes,
            )
        )
    services = tuple(sorted({row.service for row in rows}))
    return Waterfall(
        str(trace.get("traceID", "")), round(total / 1000, 3), tuple(rows), services, truncated
    )
