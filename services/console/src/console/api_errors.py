"""The API's error text, whichever of its two error bodies it used, and the field it names.

Infobip's envelope (`requestError.serviceException`: `text`, `validationErrors` by field) and
Call Routing's `ApiError` (`description`, `violations` of `property`) both become one message
and a map of field → message, so a page shows the text next to the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 500  # an error text is shown, not trusted: a page never renders an unbounded one


@dataclass(frozen=True)
class ApiProblem:
    text: str
    fields: dict[str, str] = field(default_factory=dict)

    def for_field(self, name: str) -> str | None:
        """The message about `name` (`action.pstnNumber`): the same path, or one that pydantic
        wrote with the union's tag in between (`action.FORWARD_TO_PSTN.pstnNumber`)."""
        head, _, tail = name.partition(".")
        for key, message in self.fields.items():
            parts = key.split(".")
            if key == name or (tail and parts[0] == head and parts[-1] == tail.rsplit(".")[-1]):
                return message
        return None


def _bounded(value: object) -> str:
    return str(value)[:MAX_TEXT]


def problem_of(status: int, body: Any) -> ApiProblem:
    if isinstance(body, dict):
        service = (body.get("requestError") or {}).get("serviceException")
        if isinstance(service, dict):
            errors = service.get("validationErrors") or {}
            fields = {
                _bounded(k): _bounded("; ".join(map(str, v)) if isinstance(v, list) else v)
                for k, v in (errors.items() if isinstance(errors, dict) else [])
            }
            return ApiProblem(_bounded(service.get("text") or f"HTTP {status}"), fields)
        if "description" in body:
            violations = body.get("violations") or []
            fields = {
                _bounded(v.get("property")): _bounded(v.get("violation"))
                for v in violations
                if isinstance(v, dict) and v.get("property")
            }
            return ApiProblem(_bounded(body["description"]), fields)
    return ApiProblem(f"The API answered HTTP {status}.")
