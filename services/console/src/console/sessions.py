"""Browser sessions, kept in this process's memory.

Shortcut, named: one replica's memory, so a restart signs everyone out and more than one replica
needs sticky sessions (the chart runs one). The cookie carries only a random id; the API key
stays here, never in the browser.

A visitor gets an anonymous session (for the sign-in form's CSRF token); signing in always
creates a new session under a new id and drops the old one, so an id planted before sign-in
(session fixation) is worthless after it.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import SecretStr


class Role(StrEnum):
    CUSTOMER = "customer"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    """Who signed in: an account's API key, or an operator's admin token."""

    role: Role
    credential: SecretStr
    label: str

    @property
    def authorization(self) -> str:
        scheme = "App" if self.role is Role.CUSTOMER else "Admin"
        return f"{scheme} {self.credential.get_secret_value()}"


@dataclass
class Session:
    id: str
    csrf: str
    last_seen: float
    principal: Principal | None = None
    flash: list[str] = field(default_factory=list)


def _token() -> str:
    return secrets.token_urlsafe(32)


class SessionStore:
    def __init__(
        self, idle_seconds: float, max_sessions: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._idle = idle_seconds
        self._max = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str | None) -> Session | None:
        """The live session of this id, touched; None if unknown or idle too long."""
        if not session_id:
            return None
        found = self._sessions.get(session_id)
        now = self._clock()
        if found is None:
            return None
        if now - found.last_seen > self._idle:
            del self._sessions[session_id]
            return None
        found.last_seen = now
        self._sessions.move_to_end(session_id)
        return found

    def open(self, principal: Principal | None = None) -> Session:
        session = Session(id=_token(), csrf=_token(), last_seen=self._clock(), principal=principal)
        self._sessions[session.id] = session
        while len(self._sessions) > self._max:
            self._sessions.popitem(last=False)  # the least recently used
        return session

    def sign_in(self, previous: Session | None, principal: Principal) -> Session:
        """A new session (new id, new CSRF token) for `principal`; the previous one is gone."""
        if previous is not None:
            self.close(previous.id)
        return self.open(principal)

    def close(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    @staticmethod
    def csrf_matches(session: Session, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(session.csrf.encode(), given.encode())
