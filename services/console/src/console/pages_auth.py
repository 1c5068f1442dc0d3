"""Sign in with an API key (or, for operators, the admin token), sign out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import SecretStr

from console.sessions import Principal, Role
from console.web import BASE, Console, field

MAX_KEY = 256


def auth_router(console: Console) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/")
    async def home(request: Request) -> Response:
        session = console.session(request)
        if session.principal is None:
            return console.redirect(session, "/sign-in")
        target = "/overview" if session.principal.role is Role.CUSTOMER else "/operator"
        return console.redirect(session, target)

    @router.get("/sign-in")
    async def sign_in_form(request: Request) -> Response:
        session = console.session(request)
        return console.render(request, session, "sign_in.html", error=None)

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        session = console.session(request)
        form = await console.form(request, session)
        key = field(form, "key", MAX_KEY)
        principal = await _who(console, key) if key else None
        if principal is None:
            text = "That key is not valid (or was revoked). Paste an API key or the admin token."
            return console.render(request, session, "sign_in.html", status=401, error=text)
        fresh = console.sessions.sign_in(session, principal)
        target = "/overview" if principal.role is Role.CUSTOMER else "/operator"
        return console.redirect(fresh, target)

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        session = console.session(request)
        await console.form(request, session)
        console.sessions.close(session)
        return console.redirect(console.sessions.open(), "/sign-in", flash="Signed out.")

    return router


async def _who(console: Console, key: str) -> Principal | None:
    """The principal this key signs in as: an account's key first, then the admin token."""
    customer = Principal(Role.CUSTOMER, SecretStr(key), "account")
    if (await console.api.call(customer, "GET", "/account/1/balance")).ok:
        return customer
    operator = Principal(Role.OPERATOR, SecretStr(key), "operator")
    if (await console.api.call(operator, "GET", "/admin/1/payments", params={"size": 1})).ok:
        return operator
    return None
