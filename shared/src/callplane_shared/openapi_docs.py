"""OpenAPI documents that say what a service really answers.

FastAPI's default document advertises a 422 `HTTPValidationError` nobody ever receives and none
of the errors we do send. `document_openapi` rewrites it once, when first asked:

- no 422 and no FastAPI validation schemas (bad input is a 400, see `http_errors`);
- every operation under a secured prefix names its scheme (`App`, `Admin`, `Operator`) and
  documents the statuses that scheme answers (401, and 403 for a suspended account);
- every operation that takes parameters or a body documents 400;
- every error status (automatic or declared by a route with `errors(...)`) carries the body the
  service really sends for that path: Call Routing's `ApiError` or the `requestError` envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from callplane_shared.http_errors import (
    ENVELOPE_EVEN_FOR_API_ERROR,
    api_error_body,
    envelope,
)

REQUEST_ERROR = "ApiException"
API_ERROR = "ApiError"
_DESCRIPTIONS = {
    400: "The request is invalid; the body says which field and why.",
    401: "Missing or unknown credentials.",
    402: "Not enough balance.",
    403: "The account is not active.",
    404: "Not found in your account.",
    409: "Conflicts with the current state.",
    412: "If-Match does not match the current version.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    428: "If-Match is required.",
    429: "Too many requests; retry after the time in Retry-After.",
    503: "Not ready.",
}
_MESSAGE_IDS = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND"}
_METHODS = {"get", "put", "post", "delete", "patch"}

_SCHEMAS: dict[str, Any] = {
    REQUEST_ERROR: {
        "type": "object",
        "description": "The error envelope of Numbers, masking, Calls and IVR.",
        "required": ["requestError"],
        "properties": {"requestError": {"$ref": "#/components/schemas/ApiRequestError"}},
    },
    "ApiRequestError": {
        "type": "object",
        "required": ["serviceException"],
        "properties": {"serviceException": {"$ref": "#/components/schemas/ApiRequestErrorDetails"}},
    },
    "ApiRequestErrorDetails": {
        "type": "object",
        "required": ["messageId", "text"],
        "properties": {
            "messageId": {"type": "string", "examples": ["BAD_REQUEST"]},
            "text": {"type": "string"},
            "validationErrors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    API_ERROR: {
        "type": "object",
        "description": "Call Routing's request errors (400, 404, 409, 412).",
        "required": ["errorCode", "description", "action", "violations", "resources"],
        "properties": {
            "errorCode": {"type": "string", "examples": ["E400"]},
            "description": {"type": "string"},
            "action": {"type": "string"},
            "violations": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ApiErrorViolation"},
            },
            "resources": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ApiErrorResource"},
            },
        },
    },
    "ApiErrorViolation": {
        "type": "object",
        "properties": {"property": {"type": "string"}, "violation": {"type": "string"}},
    },
    "ApiErrorResource": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "url": {"type": "string"}},
    },
}


@dataclass(frozen=True)
class SecurityScheme:
    name: str
    definition: Mapping[str, Any]
    statuses: tuple[int, ...] = (401,)


APP_KEY = SecurityScheme(
    "App",
    {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: App <API key>`, a key issued to your account.",
    },
    (401, 403),
)
ADMIN_TOKEN = SecurityScheme(
    "Admin",
    {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: Admin <ADMIN_TOKEN>`, for platform operators only.",
    },
)
OPERATOR_TOKEN = SecurityScheme(
    "Operator",
    {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator token (call-records' call lookup and price overrides).",
    },
)


@dataclass(frozen=True)
class OpenApiRules:
    """Which path prefixes need which scheme, and which answer request errors as `ApiError`."""

    security: Mapping[str, SecurityScheme] = field(default_factory=dict)
    api_error_prefixes: tuple[str, ...] = ()


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=`: the error statuses it can answer beyond the automatic ones."""
    return {status: {"description": _DESCRIPTIONS.get(status, "Error.")} for status in statuses}


def _scheme_for(path: str, rules: OpenApiRules) -> SecurityScheme | None:
    matches = [p for p in rules.security if path.startswith(p)]
    return rules.security[max(matches, key=len)] if matches else None


def _error_content(path: str, status: int, rules: OpenApiRules) -> dict[str, Any]:
    text = _DESCRIPTIONS.get(status, "Error.")
    api_error = (
        path.startswith(rules.api_error_prefixes)
        and status < 500  # noqa: PLR2004
        and status not in ENVELOPE_EVEN_FOR_API_ERROR
    )
    if api_error:
        schema, example = API_ERROR, api_error_body(status, text)
    else:
        message_id = _MESSAGE_IDS.get(status, "GENERAL_ERROR")
        schema, example = REQUEST_ERROR, envelope(message_id, text)
    return {
        "application/json": {
            "schema": {"$ref": f"#/components/schemas/{schema}"},
            "example": example,
        }
    }


def _finish_operation(path: str, op: dict[str, Any], rules: OpenApiRules) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    responses.pop("422", None)
    wanted: set[int] = set()
    scheme = _scheme_for(path, rules)
    if scheme is not None:
        op["security"] = [{scheme.name: []}]
        wanted.update(scheme.statuses)
    if op.get("parameters") or op.get("requestBody"):
        wanted.add(400)
    if op.get("requestBody"):
        wanted.add(413)  # the body limit (deploy/routes.yaml maxBody), at nginx and in the app
    if scheme is not None:
        # Every authenticated call is rate limited per key, and answers 503 with Retry-After
        # while the service's store does not answer within MONGODB_TIMEOUT_SECONDS.
        wanted.update({429, 503})
    for code in wanted:
        responses.setdefault(str(code), {"description": _DESCRIPTIONS.get(code, "Error.")})
    for key, response in responses.items():
        code = int(key)
        if code >= 400 and "content" not in response and code != 503:  # noqa: PLR2004
            response["content"] = _error_content(path, code, rules)


def finish_document(doc: dict[str, Any], rules: OpenApiRules) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(_SCHEMAS)
    used = {s.name: dict(s.definition) for s in rules.security.values()}
    if used:
        components["securitySchemes"] = used
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            if method in _METHODS:
                _finish_operation(path, op, rules)
    return doc


def document_openapi(app: FastAPI, rules: OpenApiRules) -> None:
    """Replace `app.openapi` with one that returns the finished document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = finish_document(doc, rules)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
