from __future__ import annotations

import pytest
from pydantic import SecretStr

from console.sessions import Principal, Role, SessionStore

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def customer() -> Principal:
    return Principal(Role.CUSTOMER, SecretStr("key-1"), "account")


def test_sign_in_gives_a_new_id_and_csrf_token_and_forgets_the_old_session() -> None:
    store = SessionStore(60, 100)
    anonymous = store.open()
    signed_in = store.sign_in(anonymous, customer())
    assert signed_in.id != anonymous.id
    assert signed_in.csrf != anonymous.csrf
    assert store.get(anonymous.id) is None, "a planted pre-sign-in id must not stay usable"
    assert store.get(signed_in.id) is signed_in


def test_an_idle_session_expires_and_a_used_one_does_not() -> None:
    clock = Clock()
    store = SessionStore(60, 100, clock)
    used = store.sign_in(None, customer())
    idle = store.sign_in(None, customer())
    clock.now = 50
    assert store.get(used.id) is used
    clock.now = 100
    assert store.get(used.id) is used, "50 s since its last use"
    assert store.get(idle.id) is None, "100 s idle"


def test_the_store_is_bounded_and_drops_the_least_recently_used() -> None:
    store = SessionStore(60, 2)
    first, second = store.open(), store.open()
    store.get(first.id)
    store.open()
    assert len(store) == 2
    assert store.get(second.id) is None
    assert store.get(first.id) is first


def test_csrf_needs_the_sessions_own_token() -> None:
    store = SessionStore(60, 10)
    session, other = store.open(), store.open()
    assert SessionStore.csrf_matches(session, session.csrf)
    assert not SessionStore.csrf_matches(session, other.csrf)
    assert not SessionStore.csrf_matches(session, None)
    assert not SessionStore.csrf_matches(session, "")


def test_the_key_is_not_in_the_principals_repr() -> None:
    principal = Principal(Role.OPERATOR, SecretStr("admin-secret"), "operator")
    assert "admin-secret" not in repr(principal)
    assert principal.authorization == "Admin admin-secret"
