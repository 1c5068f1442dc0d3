"""Bounds for free-form JSON a customer stores (IVR step options, custom data): how deep it
nests and how many values it holds, so no stored document or later traversal is unbounded
(invariant 10)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

MAX_DEPTH = 16
MAX_VALUES = 5000


def check_bounded(value: Any, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> Any:
    """`value` unchanged, or ValueError saying which bound it exceeds."""
    seen = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > max_values:
            raise ValueError(f"holds more than {max_values} values")
        if depth > max_depth:
            raise ValueError(f"nests deeper than {max_depth} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value


BoundedJson = Annotated[Any, AfterValidator(check_bounded)]
"""Any JSON value within MAX_DEPTH levels and MAX_VALUES values."""
