"""Infobip's error bodies, so Infobip clients parse our errors unchanged.

Most APIs (Numbers, masking, Calls, IVR) answer every 4xx/5xx in the `requestError` envelope:

{"requestError": {"serviceException": {"messageId": "BAD_REQUEST", "text": "...",
                                       "validationErrors": {"field": ["message"]}}}}

Call Routing documents its own request errors as `ApiError` instead, and keeps the envelope only
for 401/403/429/5xx; a service lists the path prefixes that answer that way:

{"errorCode": "E400", "description": "...", "action": "...",
 "violations": [{"property": "field", "violation": "message"}], "resources": []}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

_MESSAGE_IDS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "PAYMENT_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    428: "PRECONDITION_REQUIRED",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}
STORE_RETRY_AFTER_SECONDS = 5


# Where an ApiError-answering API still answers in the envelope, as Infobip documents it.
ENVELOPE_EVEN_FOR_API_ERROR = frozenset({401, 403, 413, 429})
_API_ERROR_PREFIXES = "api_error_prefixes"
_ACTIONS = {
    400: "Fix the request as the violations say, then send it again.",
    404: "Check the id in the path: it must be one of your account's.",
    409: "Read the current state (GET), then retry or change what is in the way.",
    412: "GET the resource again and retry with its current version.",
    413: "Send a smaller request.",
}


class ApiError(Exception):
    """Raise anywhere in a handler; becomes the envelope with this status."""

    def __init__(
        self,
        status_code: int,
        text: str,
        *,
        message_id: str | None = None,
        validation_errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.text = text
        self.message_id = message_id or _MESSAGE_IDS.get(status_code, "GENERAL_ERROR")
        self.validation_errors = validation_errors
        self.headers = headers


def bad_request(text: str, field: str | None = None) -> ApiError:
    errors = {field: [text]} if field else None
    return ApiError(400, text, validation_errors=errors)


def unauthorized(
    text: str = "Missing or unknown API key: send `Authorization: App <key>`.",
) -> ApiError:
    return ApiError(401, text, headers={"WWW-Authenticate": "App"})


def not_found(text: str) -> ApiError:
    return ApiError(404, text)


def conflict(text: str) -> ApiError:
    return ApiError(409, text)


def quota_exceeded(quota: str, limit: int, what_to_do: str) -> ApiError:
    """403 naming the per-account quota that refused the request (limits are per account and
    configurable; each service's README lists its quotas)."""
    return ApiError(
        403,
        f"Quota exceeded: the account may have at most {limit} {quota}; {what_to_do}.",
        message_id="QUOTA_EXCEEDED",
        validation_errors={quota: [f"at most {limit}"]},
    )


def precondition_failed(text: str) -> ApiError:
    return ApiError(412, text)


def envelope(
    message_id: str, text: str, validation_errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    exception: dict[str, Any] = {"messageId": message_id, "text": text}
    if validation_errors:
        exception["validationErrors"] = validation_errors
    return {"requestError": {"serviceException": exception}}


def api_error_body(
    status_code: int, text: str, validation_errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """Call Routing's `ApiError` body."""
    violations = [
        {"property": field, "violation": message}
        for field, messages in (validation_errors or {}).items()
        for message in messages
    ]
    return {
        "errorCode": f"E{status_code}",
        "description": text,
        "action": _ACTIONS.get(status_code, "Check the request and try again."),
        "violations": violations,
        "resources": [],
    }


def _answers_api_error(request: Request | None, status_code: int) -> bool:
    if request is None or status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        return False
    if status_code in ENVELOPE_EVEN_FOR_API_ERROR:
        return False
    prefixes: tuple[str, ...] = getattr(request.app.state, _API_ERROR_PREFIXES, ())
    return request.url.path.startswith(prefixes) if prefixes else False


def error_body(
    request: Request | None,
    status_code: int,
    text: str,
    validation_errors: dict[str, list[str]] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """The body Infobip documents for this path and status: ApiError or the envelope."""
    if _answers_api_error(request, status_code):
        return api_error_body(status_code, text, validation_errors)
    return envelope(
        message_id or _MESSAGE_IDS.get(status_code, "GENERAL_ERROR"), text, validation_errors
    )


def error_response(
    status_code: int,
    text: str,
    validation_errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
) -> JSONResponse:
    """The error body for `status_code` (see `error_body`); for services whose domain raises its
    own refusal type. Without `request` it is always the envelope."""
    return JSONResponse(
        error_body(request, status_code, text, validation_errors),
        status_code=status_code,
        headers=headers,
    )


def _field_path(location: tuple[Any, ...]) -> str:
    # ("body", "action", "pstnNumber") -> "action.pstnNumber"; query/path names stay as sent.
    parts = [str(p) for p in location if p not in {"body", "query", "path", "header"}]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "missing":
            message = "is required"
        errors.setdefault(_field_path(tuple(error.get("loc", ()))), []).append(message)
    return errors


def install_error_handlers(app: FastAPI, api_error_prefixes: tuple[str, ...] = ()) -> None:
    """Answer every error in Infobip's bodies; paths under `api_error_prefixes` answer request
    errors as `ApiError` (Call Routing)."""
    setattr(app.state, _API_ERROR_PREFIXES, api_error_prefixes)

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
        return JSONResponse(
            error_body(request, exc.status_code, exc.text, exc.validation_errors, exc.message_id),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        errors = _validation_errors(exc)
        fields = ", ".join(sorted(errors))
        return JSONResponse(
            error_body(request, 400, f"Invalid request: check {fields}.", errors),
            status_code=status.HTTP_400_BAD_REQUEST,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        return JSONResponse(
            error_body(request, exc.status_code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, _on_unexpected)


def install_store_error_handler(app: FastAPI) -> None:
    """For a service with a MongoDB store: an unreachable store answers 503 with Retry-After.
    Separate, and pymongo imported here, so a service without a store (call-dispatch, which
    restarts on the hot path's clock) does not import the driver (0.23 s of its start)."""
    from pymongo.errors import ConnectionFailure, PyMongoError

    async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PyMongoError)  # noqa: S101 - registered for PyMongoError only
        if isinstance(exc, ConnectionFailure) or exc.timeout:
            # Nothing was decided: the client may repeat the request once the store is back.
            logger.warning("store unavailable: %s", exc)
            return JSONResponse(
                envelope("SERVICE_UNAVAILABLE", "The store is unavailable; retry shortly."),
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
            )
        return await _on_unexpected(request, exc)

    app.add_exception_handler(PyMongoError, on_store_error)


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error", exc_info=exc)
    return JSONResponse(
        envelope("GENERAL_ERROR", "Something went wrong on our side; try again."),
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
