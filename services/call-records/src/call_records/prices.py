"""The price list file, loaded and validated at start (a bad file stops the service)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from call_records.domain.rating import PriceList


class PriceListError(ValueError):
    pass


def load_price_list(path: Path) -> PriceList:
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PriceListError(f"price list {path}: {exc}") from exc
    try:
        return PriceList.model_validate(raw)
    except ValueError as exc:
        raise PriceListError(f"price list {path} is invalid: {exc}") from exc
