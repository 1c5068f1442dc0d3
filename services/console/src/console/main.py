"""Composition root of the console.

settings → telemetry → session store, public API client → page routers → `service_app`. No
broker, no database: the console is a client of the public API and keeps only sessions.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.sealing import key_bytes
from callplane_shared.telemetry import configure_telemetry, package_version
from console import SERVICE_NAME
from console.pages_auth import auth_router
from console.pages_calls import calls_router
from console.pages_numbers import numbers_router
from console.pages_operator import operator_router
from console.pages_overview import overview_router
from console.pages_routing_tools import routing_tools_router
from console.pages_targets import targets_router
from console.pages_voice import voice_router
from console.public_api import NotFoundError, PublicApi
from console.sessions import SessionStore
from console.settings import Settings
from console.web import (
    BASE,
    ApiFailedError,
    Console,
    CsrfRefusedError,
    PageNotFoundError,
    SignInRequiredError,
    html_error,
)

STATIC = Path(__file__).with_name("static")
# Pages load only our own files; no inline script or style, no framing, forms post only here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


async def _security_headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    if request.url.path.startswith(BASE):
        response.headers.update(SECURITY_HEADERS)
    return response


def _install_pages(app: FastAPI, console: Console) -> None:
    async def sign_in_first(_: Request, __: Exception) -> Response:
        return RedirectResponse(f"{BASE}/sign-in", status_code=303)

    async def csrf_refused(request: Request, _: Exception) -> Response:
        text = "This form is out of date or did not come from this console. Reload and retry."
        return html_error(console, request, 403, "Refused", text)

    async def not_found(request: Request, _: Exception) -> Response:
        return html_error(console, request, 404, "Not found", "Nothing of that id here.")

    async def api_failed(request: Request, exc: Exception) -> Response:
        failure = cast("ApiFailedError", exc)  # registered for that type only
        reply = failure.reply
        return html_error(console, request, reply.status, failure.title, reply.problem.text)

    app.add_exception_handler(SignInRequiredError, sign_in_first)
    app.add_exception_handler(ApiFailedError, api_failed)
    app.add_exception_handler(CsrfRefusedError, csrf_refused)
    app.add_exception_handler(PageNotFoundError, not_found)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_middleware(BaseHTTPMiddleware, dispatch=_security_headers)
    app.mount(f"{BASE}/static", StaticFiles(directory=STATIC), name="static")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    sessions = SessionStore(
        settings.console_session_idle_minutes * 60,
        settings.console_max_signed_out,
        key_bytes(settings.console_session_key),
    )
    api = PublicApi(
        settings.console_api_base_url,
        settings.console_api_timeout_seconds,
        host=settings.console_api_host,
        operator_base_url=settings.console_operator_api_base_url,
        operator_host=settings.console_operator_api_host,
    )
    console = Console(settings, sessions, api)

    app = service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=None,
            mongo=None,
            tracer_provider=tracer_provider,
            routers=[
                auth_router(console),
                overview_router(console),
                numbers_router(console),
                voice_router(console),
                calls_router(console),
                operator_router(console),
                # Before the targets' pages: their /routes/{id} would take /routes/simulate.
                routing_tools_router(console),
                targets_router(console),
            ],
            on_shutdown=[api.aclose],
        )
    )
    _install_pages(app, console)
    app.state.console = console
    return app


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
