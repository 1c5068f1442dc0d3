"""Bounded paging parameters for every list endpoint, so a huge `page` is a 400 that says the
bound (not an overflow in the BSON encoder), and the bounds appear in the OpenAPI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_PAGE = 100_000

PageNumber = Annotated[
    int, Query(ge=0, le=MAX_PAGE, description=f"Zero-based page, at most {MAX_PAGE}.")
]
