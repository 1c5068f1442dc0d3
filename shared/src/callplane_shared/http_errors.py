"""Infobip's error envelope for every 4xx/5xx, so Infobip clients parse our errors unchanged:

{"requestError": {"serviceException": {"messageId": "BAD_REQUEST", "text": "...",
                                       "validationErrors": {"field": ["message"]}}}}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError
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


def error_response(
    status_code: int,
    text: str,
    validation_errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The envelope for `status_code`, with Infobip's messageId for it; for services whose domain
    raises its own refusal type."""
    message_id = _MESSAGE_IDS.get(status_code, "GENERAL_ERROR")
    return JSONResponse(
        envelope(message_id, text, validation_errors), status_code=status_code, headers=headers
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


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
        return JSONResponse(
            envelope(exc.message_id, exc.text, exc.validation_errors),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        errors = _validation_errors(exc)
        fields = ", ".join(sorted(errors))
        return JSONResponse(
            envelope("BAD_REQUEST", f"Invalid request: check {fields}.", errors),
            status_code=status.HTTP_400_BAD_REQUEST,
        )

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        message_id = _MESSAGE_IDS.get(exc.status_code, "GENERAL_ERROR")
        return JSONResponse(
            envelope(message_id, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PyMongoError)  # noqa: S101
        if isinstance(exc, ConnectionFailure) or exc.timeout:
            # Nothing was decided: the client may repeat the request once the store is back.
            logger.warning("store unavailable: %s", exc)
            return JSONResponse(
                envelope("SERVICE_UNAVAILABLE", "The store is unavailable; retry shortly."),
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
            )
        return await on_unexpected(request, exc)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error", exc_info=exc)
        return JSONResponse(
            envelope("GENERAL_ERROR", "Something went wrong on our side; try again."),
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(PyMongoError, on_store_error)
    app.add_exception_handler(Exception, on_unexpected)
