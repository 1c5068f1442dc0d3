from __future__ import annotations

from typing import Any

import pytest

from console.waterfall import MAX_SPANS, MIN_BAR_PERCENT, waterfall

pytestmark = pytest.mark.unit


def span(
    span_id: str, start: int, duration: int, parent: str | None = None, **tags: str
) -> dict[str, Any]:
    return {
        "spanID": span_id,
        "operationName": f"op-{span_id}",
        "processID": "p1" if parent is None else "p2",
        "startTime": start,
        "duration": duration,
        "references": [] if parent is None else [{"refType": "CHILD_OF", "spanID": parent}],
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
    }


TRACE = {
    "traceID": "abc",
    "processes": {"p1": {"serviceName": "call-dispatch"}, "p2": {"serviceName": "number-masking"}},
    "spans": [
        span("b", 1_000_500, 1, parent="a", error="true"),
        span("a", 1_000_000, 2_000),
    ],
}


def test_rows_are_in_start_order_with_offsets_widths_and_depths() -> None:
    drawn = waterfall(TRACE)
    assert drawn.total_ms == 2.0
    root, child = drawn.rows
    assert (root.service, root.depth, root.offset_percent, root.width_percent) == (
        "call-dispatch",
        0,
        0.0,
        100.0,
    )
    assert (child.service, child.depth, child.offset_percent) == ("number-masking", 1, 25.0)
    assert child.width_percent == MIN_BAR_PERCENT, "a 1 µs span still shows"
    assert child.error
    assert drawn.services == ("call-dispatch", "number-masking")


def test_a_parent_cycle_in_bad_data_ends_and_a_huge_trace_is_cut() -> None:
    cyclic = {"spans": [span("x", 0, 1, parent="y"), span("y", 0, 1, parent="x")]}
    assert {row.depth for row in waterfall(cyclic).rows} == {1}
    huge = {"spans": [span(str(i), i, 1) for i in range(MAX_SPANS + 5)]}
    drawn = waterfall(huge)
    assert drawn.truncated
    assert len(drawn.rows) == MAX_SPANS


def test_an_empty_trace_draws_nothing() -> None:
    assert waterfall({"traceID": "t"}).rows == ()
