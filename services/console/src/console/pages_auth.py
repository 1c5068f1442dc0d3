"""Sign in with an API key (or, for operators, the admin token), sign out."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import SecretStr

from console.public_api import Reply
from console.sessions import Principal, Role
from console.web import BASE, Console, field

MAX_KEY = 256
NOT_VALID = "That key is not valid (or was revoked). Paste an API key or the admin token."


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
        found = await _who(console, key) if key else Refusal(401, NOT_VALID)
        if isinstance(found, Refusal):
            return console.render(
                request, session, "sign_in.html", status=found.status, error=found.text
            )
        principal = found
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


@dataclass(frozen=True)
class Refusal:
    status: int
    text: str


def refusal(as_customer: Reply, as_operator: Reply) -> Refusal:
    """Why neither check let the key in. Only the API's refusal (401, 403) says the key is not
    valid; when it could not answer (5xx, 429, no answer) the key was not checked at all."""
    if as_customer.unavailable:
        return Refusal(
            503,
            "The service is unavailable, so the key could not be checked: try again in a "
            f"moment. ({as_customer.problem.text})",
        )
    if as_operator.unavailable:
        # Not an account's key, but it may be the admin token: that check could not be made.
        return Refusal(
            503,
            "That is not an account's API key, and the operators' endpoint is unavailable, so "
            f"it could not be checked as the admin token: try again in a moment. "
            f"({as_operator.problem.text})",
        )
    return Refusal(401, NOT_VALID)


async def _who(console: Console, key: str) -> Principal | Refusal:
    """The principal this key signs in as: an account's key first, then the admin token. One
    after the other, not together: a valid account key never reaches the operators' endpoint."""
    customer = Principal(Role.CUSTOMER, SecretStr(key), "account")
    as_customer = await console.api.call(customer, "GET", "/account/1/balance")
    if as_customer.ok:
        return customer
    operator = Principal(Role.OPERATOR, SecretStr(key), "operator")
    as_operator = await console.api.call(operator, "GET", "/admin/1/payments", params={"size": 1})
    if as_operator.ok:
        return operator
    return refusal(as_customer, as_operator)
