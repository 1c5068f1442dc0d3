"""A console over a fake public API that answers by (method, path) and records which requests
were in flight together, for the page tests of tests/unit/console."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from console.main import _install_pages
from console.pages_auth import auth_router
from console.pages_numbers import numbers_router
from console.pages_operator import operator_router
from console.pages_overview import overview_router
from console.pages_routing_tools import routing_tools_router
from console.pages_targets import targets_router
from console.pages_voice import voice_router
from console.public_api import PublicApi
from console.sessions import Principal, Role, Session, SessionStore
from console.settings import Settings
from console.web import COOKIE, Console

# How often a request lets the event loop run before it is answered: enough for every request
# a page starts together to arrive first. Requests made one after another never overlap,
# however long each waits, so the overlap recorded below does not depend on timing.
YIELDS = 50
JAEGER = "http://jaeger.test"

# An answer: (status, JSON body), an exception the transport raises (no answer at all), or a
# function of the request for answers that depend on its query.
Respond = Callable[[httpx.Request], tuple[int, Any]]
Answer = tuple[int, Any] | Exception | Respond


def envelope(text: str) -> dict[str, Any]:
    """The API's error body (Infobip's envelope)."""
    return {"requestError": {"serviceException": {"messageId": "E", "text": text}}}


@dataclass
class FakeApi:
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    sent: list[httpx.Request] = field(default_factory=list)
    # What was in flight each time a request arrived (itself included).
    overlaps: list[frozenset[str]] = field(default_factory=list)
    _in_flight: set[str] = field(default_factory=set)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        name = f"{request.method} {request.url.path}?{request.url.query.decode()}".rstrip("?")
        self._in_flight.add(name)
        self.overlaps.append(frozenset(self._in_flight))
        try:
            for _ in range(YIELDS):
                await asyncio.sleep(0)
        finally:
            self._in_flight.discard(name)
        answer = self.answers.get((request.method, request.url.path), (404, envelope("Nope.")))
        if isinstance(answer, Exception):
            raise answer
        status, body = answer if isinstance(answer, tuple) else cast("Respond", answer)(request)
        return httpx.Response(status, json=body)

    @property
    def together(self) -> frozenset[str]:
        """The most requests that were in flight at once."""
        return max(self.overlaps, key=len, default=frozenset())

    def paths(self) -> set[str]:
        return {name.split(" ", 1)[1].split("?")[0] for name in self.together}


@dataclass
class Browser:
    client: TestClient
    session: Session
    sessions: SessionStore

    def flash(self, answer: httpx.Response) -> list[str]:
        """The messages the session sealed into this answer's cookie carries to the next page."""
        session = self.sessions.get(answer.cookies.get(COOKIE))
        assert session is not None
        return session.flash


def console_over(fake: FakeApi, role: Role | None = Role.CUSTOMER) -> Browser:
    """The console's pages over `fake`, with a browser signed in as `role` (None: signed out)."""
    sessions = SessionStore(600, 10, os.urandom(32))
    api = PublicApi("http://api.test", 5, transport=httpx.MockTransport(fake))
    settings = Settings(
        console_cookie_secure=False,
        console_session_key=SecretStr(base64.b64encode(os.urandom(32)).decode()),
        console_jaeger_query_url=JAEGER,
        records_operator_token=SecretStr("o" * 32),
    )
    console = Console(settings, sessions, api)
    app = FastAPI()
    for router in (
        auth_router,
        overview_router,
        numbers_router,
        voice_router,
        operator_router,
        routing_tools_router,
        targets_router,
    ):
        app.include_router(router(console))
    _install_pages(app, console)
    principal = None if role is None else Principal(role, SecretStr("key"), role.value)
    session = sessions.open(principal)
    client = TestClient(app)
    client.cookies.set(COOKIE, sessions.seal(session))
    return Browser(client, session, sessions)
