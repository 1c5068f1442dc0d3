"""What every page shares: the session cookie, the CSRF check, rendering and redirects.

The cookie holds the session sealed (`sessions`): httpOnly (no script reads it), SameSite=Strict
(no other site's page sends it), Secure outside local development, path /console/. Every form
carries the session's CSRF token and every POST is refused (403) without the matching one,
SameSite or not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from console.public_api import PublicApi, Reply
from console.sessions import Principal, Role, Session, SessionStore
from console.settings import Settings

COOKIE = "cp_console"
BASE = "/console"
MAX_FORM_FIELDS = 50
TEMPLATES = Path(__file__).with_name("templates")


class SignInRequiredError(Exception):
    """No signed-in session: the page sends the browser to the sign-in form."""


class CsrfRefusedError(Exception):
    """A POST without this session's CSRF token."""


class PageNotFoundError(Exception):
    """Nothing of that id in this account (another account's number looks exactly like this)."""


class ApiFailedError(Exception):
    """The API refused or could not answer what the page needs to be drawn at all: the error
    page shows the API's own text with its status (a 503 stays a 503)."""

    def __init__(self, title: str, reply: Reply) -> None:
        super().__init__(title)
        self.title = title
        self.reply = reply


class Console:
    def __init__(self, settings: Settings, sessions: SessionStore, api: PublicApi) -> None:
        self.settings = settings
        self.sessions = sessions
        self.api = api
        self.templates = Jinja2Templates(directory=TEMPLATES)
        self.templates.env.globals["base"] = BASE

    def session(self, request: Request) -> Session:
        return self.sessions.get(request.cookies.get(COOKIE)) or self.sessions.open()

    def principal(self, request: Request, role: Role = Role.CUSTOMER) -> tuple[Session, Principal]:
        session = self.session(request)
        if session.principal is None or session.principal.role is not role:
            raise SignInRequiredError
        return session, session.principal

    async def form(
        self, request: Request, session: Session, max_fields: int = MAX_FORM_FIELDS
    ) -> FormData:
        form = await request.form(max_files=0, max_fields=max_fields)
        token = form.get("csrf")
        if not SessionStore.csrf_matches(session, token if isinstance(token, str) else None):
            raise CsrfRefusedError
        return form

    def _with_cookie(self, response: Response, session: Session) -> Response:
        response.set_cookie(
            COOKIE,
            self.sessions.seal(session),
            max_age=int(self.settings.console_session_idle_minutes * 60),
            path=f"{BASE}/",
            secure=self.settings.console_cookie_secure,
            httponly=True,
            samesite="strict",
        )
        return response

    def render(
        self, request: Request, session: Session, name: str, status: int = 200, **context: Any
    ) -> Response:
        flash, session.flash = session.flash, []
        response = self.templates.TemplateResponse(
            request,
            name,
            {"csrf": session.csrf, "principal": session.principal, "flash": flash, **context},
            status_code=status,
        )
        return self._with_cookie(response, session)

    def redirect(self, session: Session, path: str, flash: str | None = None) -> Response:
        if flash:
            session.flash.append(flash)
        return self._with_cookie(RedirectResponse(f"{BASE}{path}", status_code=303), session)


def field(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def html_error(console: Console, request: Request, status: int, title: str, text: str) -> Response:
    session = console.session(request)
    return console.render(request, session, "error.html", status=status, title=title, text=text)
