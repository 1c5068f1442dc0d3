"""Why a request is refused, independent of how the refusal reaches the caller."""

from __future__ import annotations


class Refusal(Exception):  # noqa: N818 - an outcome to report, not a fault
    """A request that cannot be honoured; `field` names what to fix when one field is at fault."""

    def __init__(self, status: int, text: str, field: str | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.field = field


def invalid(field: str, text: str) -> Refusal:
    return Refusal(400, text, field)


def missing(text: str) -> Refusal:
    return Refusal(404, text)


def in_use(text: str) -> Refusal:
    return Refusal(409, text)
