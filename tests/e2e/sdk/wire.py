"""Checks on the raw bodies the SDK received, beyond "it parsed"."""

from __future__ import annotations

import json
from typing import Any

from infobip_api_client.exceptions import ApiException as SdkError
from infobip_api_client.models.api_exception import ApiException


def nulls_in(body: bytes | str) -> list[str]:
    """JSON paths holding `null`: Infobip omits unset fields, and its schemas type most fields
    as non-nullable, so a null is a difference a strict client trips over."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if node is None:
            found.append(path or "$")
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(json.loads(body), "")
    return found


def message_id(exc: SdkError) -> str:
    """The `messageId` of an error the SDK parsed as Infobip's `requestError` envelope.

    The SDK parses only the statuses Infobip documents per operation; for the others callplane
    answers (409 on a duplicate id), the SDK's own model parses the body."""
    parsed = exc.data if exc.data is not None else ApiException.from_json(str(exc.body))
    assert isinstance(parsed, ApiException), f"SDK could not parse {exc.body!r}"
    request_error = parsed.request_error
    assert request_error is not None
    assert request_error.service_exception is not None
    return str(request_error.service_exception.message_id)
