"""The committed OpenAPI documents tell the truth about errors and auth (issue 14): no 422 that is
never sent, every error status with the body really sent for it, every secured operation naming
its scheme, and bounds on every parameter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from call_dispatch import openapi as call_dispatch_openapi
from callplane_shared.http_errors import ENVELOPE_EVEN_FOR_API_ERROR
from callplane_shared.openapi_docs import API_ERROR, REQUEST_ERROR
from tests.support import REPO_ROOT

pytestmark = pytest.mark.unit
SERVICES = ("action-config", "number-inventory", "number-masking", "call-dispatch", "call-records")
PROBES = {"/livez", "/readyz"}


def _document(service: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REPO_ROOT / f"services/{service}/openapi.json").read_text())
    return doc


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            yield path, method, op


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_documents_a_422(service: str) -> None:
    doc = _document(service)
    assert [(p, m) for p, m, op in _operations(doc) if "422" in op["responses"]] == []
    assert "HTTPValidationError" not in doc["components"]["schemas"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_public_operation_names_its_scheme_and_its_401(service: str) -> None:
    doc = _document(service)
    for path, method, op in _operations(doc):
        if path in PROBES:
            continue
        assert op.get("security"), f"{method} {path} names no security scheme"
        (scheme,) = op["security"][0]
        assert scheme in doc["components"]["securitySchemes"]
        assert "401" in op["responses"], f"{method} {path}"


@pytest.mark.parametrize("service", SERVICES)
def test_error_bodies_are_the_envelope_except_call_routing_request_errors(service: str) -> None:
    doc = _document(service)
    for path, method, op in _operations(doc):
        for status, response in op["responses"].items():
            if int(status) < 400 or status == "503":
                continue
            ref = response["content"]["application/json"]["schema"]["$ref"]
            # 401/403/429, and 413 (the body limit answers before routing), stay the envelope.
            call_routing_request_error = path.startswith("/callrouting/") and int(status) not in (
                ENVELOPE_EVEN_FOR_API_ERROR
            )
            expected = API_ERROR if call_routing_request_error else REQUEST_ERROR
            assert ref.endswith(f"/{expected}"), f"{method} {path} {status}: {ref}"


def _bounded(schema: dict[str, Any]) -> bool:
    if "anyOf" in schema:
        return all(_bounded(s) for s in schema["anyOf"] if s.get("type") != "null")
    kind = schema.get("type")
    if kind == "string":
        return any(k in schema for k in ("maxLength", "enum", "const", "format"))
    if kind == "integer":
        return "maximum" in schema and "minimum" in schema
    if kind == "array":
        return "maxItems" in schema and _bounded(schema.get("items", {}))
    return True  # booleans, $refs to enums


@pytest.mark.parametrize("service", ["action-config", "number-masking", "call-dispatch"])
def test_every_parameter_is_bounded(service: str) -> None:
    doc = _document(service)
    loose = [
        f"{method} {path} {param['name']}"
        for path, method, op in _operations(doc)
        for param in op.get("parameters", [])
        if not _bounded(param["schema"])
    ]
    assert loose == []


def test_call_dispatch_document_is_committed_and_current() -> None:
    committed = (REPO_ROOT / "services/call-dispatch/openapi.json").read_text()
    assert json.loads(committed) == json.loads(call_dispatch_openapi.render()), (
        "run `uv run python -m call_dispatch.openapi > services/call-dispatch/openapi.json`"
    )
