"""Browser sessions sealed into the cookie itself, so any replica of the console serves any
browser and a restart signs no one out.

The cookie holds the session (who signed in, with which key; its CSRF token; a flash message)
encrypted and authenticated with AES-256-GCM under `CONSOLE_SESSION_KEY`, a key only the
console holds (a Kubernetes Secret): the browser can neither read the key it carries nor forge
or alter a session. A cookie is re-sealed on every page, with the time it was last used.

- Idle expiry: a cookie last sealed longer than the idle lifetime ago opens no session, on any
  replica, even if its holder replays it. An absolute lifetime bounds a session kept busy.
- Sign-out drops the cookie in the browser and revokes the session's id on the replica that
  handled it (kept until the session could have expired anyway). **Limit, named:** another
  replica does not learn of that revocation, so a copy of the cookie taken before sign-out
  (it is httpOnly, Secure and SameSite=Strict: not readable by a page's script) stays usable
  there until its idle lifetime ends. With one replica, sign-out revokes at once.
- Session fixation: signing in always seals a new session under a new id and CSRF token.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from pydantic import SecretStr

from callplane_shared.sealing import CredentialCipher

PURPOSE = "console-session"  # the associated data: a ciphertext made for another use fails
MAX_COOKIE = 3800  # below browsers' 4 KiB per cookie; anything longer is not ours
MAX_FLASH = 3
ABSOLUTE_FACTOR = 24  # a busy session still ends after 24 idle lifetimes (12 h by default)


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
    opened: float = 0.0


def _token() -> str:
    return secrets.token_urlsafe(32)


class SessionStore:
    def __init__(
        self,
        idle_seconds: float,
        max_revoked: int,
        key: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._idle = idle_seconds
        self._lifetime = idle_seconds * ABSOLUTE_FACTOR
        self._max_revoked = max_revoked
        self._cipher = CredentialCipher(key)
        self._clock = clock  # wall-clock: a cookie sealed by another replica is compared to it
        self._revoked: OrderedDict[str, float] = OrderedDict()  # id → when it expires anyway

    def get(self, cookie: str | None) -> Session | None:
        """The session this cookie seals; None if it is not ours, altered, idle too long, past
        its lifetime or signed out here."""
        if not cookie or len(cookie) > MAX_COOKIE:
            return None
        try:
            fields = json.loads(self._cipher.decrypt(cookie, PURPOSE))
            session = _session_of(fields)
        except (InvalidTag, ValueError, TypeError, KeyError):
            return None
        now = self._clock()
        if now - session.last_seen > self._idle or now - session.opened > self._lifetime:
            return None
        if session.id in self._revoked:
            return None
        session.last_seen = now
        return session

    def seal(self, session: Session) -> str:
        """The cookie's value: the session as it is now, sealed."""
        principal = session.principal
        fields = {
            "id": session.id,
            "csrf": session.csrf,
            "seen": session.last_seen,
            "opened": session.opened,
            "flash": session.flash[-MAX_FLASH:],
            "role": principal.role.value if principal else None,
            "key": principal.credential.get_secret_value() if principal else None,
            "label": principal.label if principal else None,
        }
        return self._cipher.encrypt(json.dumps(fields), PURPOSE)

    def open(self, principal: Principal | None = None) -> Session:
        now = self._clock()
        return Session(_token(), _token(), now, principal, opened=now)

    def sign_in(self, previous: Session | None, principal: Principal) -> Session:
        """A new session (new id, new CSRF token) for `principal`; the previous one is gone."""
        if previous is not None:
            self.close(previous)
        return self.open(principal)

    def close(self, session: Session) -> None:
        self._revoked[session.id] = session.opened + self._lifetime
        now = self._clock()
        while self._revoked and (
            len(self._revoked) > self._max_revoked or next(iter(self._revoked.values())) < now
        ):
            self._revoked.popitem(last=False)  # the oldest: expired, or past the bound

    @staticmethod
    def csrf_matches(session: Session, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(session.csrf.encode(), given.encode())


def _session_of(fields: dict[str, object]) -> Session:
    role, key, label = fields["role"], fields["key"], fields["label"]
    principal = (
        Principal(Role(str(role)), SecretStr(str(key)), str(label))
        if role is not None and key is not None
        else None
    )
    flash = fields.get("flash")
    return Session(
        id=str(fields["id"]),
        csrf=str(fields["csrf"]),
        last_seen=float(str(fields["seen"])),
        principal=principal,
        flash=[str(f) for f in flash] if isinstance(flash, list) else [],
        opened=float(str(fields["opened"])),
    )
