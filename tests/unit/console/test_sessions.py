from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from console.sessions import Principal, Role, SessionStore

pytestmark = pytest.mark.unit

KEY = os.urandom(32)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def customer() -> Principal:
    return Principal(Role.CUSTOMER, SecretStr("key-1"), "account")


def store(clock: Clock | None = None, max_revoked: int = 100, key: bytes = KEY) -> SessionStore:
    return SessionStore(60, max_revoked, key, clock or Clock())


def test_a_sealed_session_opens_on_any_replica_holding_the_key() -> None:
    clock = Clock()
    session = store(clock).sign_in(None, customer())
    session.flash.append("Saved.")
    cookie = store(clock).seal(session)
    opened = store(clock).get(cookie)  # another replica: another store, the same key
    assert opened is not None
    assert (opened.id, opened.csrf, opened.flash) == (session.id, session.csrf, ["Saved."])
    assert opened.principal == session.principal


def test_the_cookie_neither_shows_the_key_nor_opens_under_another_key_or_when_altered() -> None:
    clock = Clock()
    cookie = store(clock).seal(store(clock).sign_in(None, customer()))
    assert "key-1" not in cookie
    assert store(clock, key=os.urandom(32)).get(cookie) is None
    altered = cookie[:20] + ("A" if cookie[20] != "A" else "B") + cookie[21:]
    assert store(clock).get(altered) is None
    assert store(clock).get("x" * 5000) is None
    assert store(clock).get("") is None


def test_sign_in_gives_a_new_id_and_csrf_token_and_revokes_the_old_session() -> None:
    sessions = store()
    anonymous = sessions.open()
    planted = sessions.seal(anonymous)
    signed_in = sessions.sign_in(anonymous, customer())
    assert signed_in.id != anonymous.id
    assert signed_in.csrf != anonymous.csrf
    assert sessions.get(planted) is None, "a planted pre-sign-in cookie must not stay usable"


def test_sign_out_revokes_the_session_on_this_replica() -> None:
    sessions = store()
    session = sessions.sign_in(None, customer())
    cookie = sessions.seal(session)
    sessions.close(session)
    assert sessions.get(cookie) is None


def test_an_idle_session_expires_and_a_used_one_does_not_until_its_lifetime_ends() -> None:
    clock = Clock()
    sessions = store(clock)
    used = sessions.sign_in(None, customer())
    idle = sessions.seal(sessions.sign_in(None, customer()))
    cookie = sessions.seal(used)
    for _ in range(23):  # re-sealed on every page, every 59 s
        clock.now += 59
        opened = sessions.get(cookie)
        assert opened is not None
        cookie = sessions.seal(opened)
    assert sessions.get(idle) is None, "idle past 60 s"
    clock.now += 59 * 2
    assert sessions.get(cookie) is None, "past its absolute lifetime (24 idle lifetimes)"


def test_revocations_are_bounded() -> None:
    sessions = store(max_revoked=2)
    for _ in range(5):
        sessions.close(sessions.open())
    assert len(sessions._revoked) == 2  # noqa: SLF001 - the bound itself


def test_csrf_needs_the_sessions_own_token() -> None:
    sessions = store()
    session, other = sessions.open(), sessions.open()
    assert SessionStore.csrf_matches(session, session.csrf)
    assert not SessionStore.csrf_matches(session, other.csrf)
    assert not SessionStore.csrf_matches(session, None)
    assert not SessionStore.csrf_matches(session, "")


def test_the_key_is_not_in_the_principals_repr() -> None:
    principal = Principal(Role.OPERATOR, SecretStr("admin-secret"), "operator")
    assert "admin-secret" not in repr(principal)
    assert principal.authorization == "Admin admin-secret"
