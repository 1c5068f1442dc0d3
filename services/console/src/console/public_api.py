"""The console's only way to the domain: the public API, called with the signed-in user's key.

The key travels in the Authorization header of a request from this process to nginx; it never
goes into a URL, a page, a log line or a span attribute (httpx's spans record the URL only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from console.api_errors import ApiProblem, problem_of
from console.sessions import Principal

# The operator endpoints: internal, so in Kubernetes not on the public Ingress (internalIngress).
OPERATOR_PREFIXES = ("/admin/", "/records/")

# Ids the console puts into an API path; anything else cannot exist, so it is a 404 here rather
# than a path that could climb out of the intended prefix ("..").
_SEGMENT = re.compile(r"^[A-Za-z0-9_+:-][A-Za-z0-9_.+:-]{0,127}$")


class NotFoundError(LookupError):
    """What the page shows as 404: nothing of that id in this account."""


def segment(value: str) -> str:
    if not _SEGMENT.fullmatch(value):
        raise NotFoundError(value[:64])
    return quote(value, safe="")


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    etag: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300  # noqa: PLR2004 - HTTP's success range

    @property
    def unavailable(self) -> bool:
        """The API could not take the request now (a 5xx, 429, or no answer at all, which `send`
        turns into a 503): that says nothing about the key, the id or the form, so a page never
        shows it as "not valid", "not found" or "none"."""
        return self.status >= 500 or self.status == 429  # noqa: PLR2004 - HTTP's ranges

    @property
    def problem(self) -> ApiProblem:
        return problem_of(self.status, self.body)

    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    def items(self) -> list[dict[str, Any]]:
        """A list answer's items, whether the API answers a bare list or `{results: [...]}`."""
        found = self.body if isinstance(self.body, list) else self.json().get("results") or []
        return [item for item in found if isinstance(item, dict)]


class PublicApi:
    def __init__(
        self,
        base_url: str,
        timeout: float,
        host: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        operator_base_url: str | None = None,
        operator_host: str | None = None,
    ) -> None:
        self._host = host
        # Where /admin/ and /records/ go when they are not on the public base URL (the chart's
        # internal Ingress); by default the same place as the rest.
        self._operator_base = operator_base_url.rstrip("/") if operator_base_url else None
        self._operator_host = operator_host
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def call(
        self,
        principal: Principal,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        if_match: str | None = None,
    ) -> Reply:
        headers = {"Authorization": principal.authorization, "Accept": "application/json"}
        if if_match:
            headers["If-Match"] = if_match
        return await self.send(method, path, headers=headers, json=json, params=params)

    async def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Reply:
        host = None
        if path.startswith(OPERATOR_PREFIXES) and (self._operator_base or self._operator_host):
            if self._operator_base:
                path = f"{self._operator_base}{path}"
            host = self._operator_host
        elif not path.startswith(("http://", "https://")):
            host = self._host
        extensions = {}
        if host:
            headers = {**headers, "Host": host}
            # Over TLS to an Ingress controller's Service the host is the SNI name too, so the
            # controller presents that host's certificate and it is verified against the host
            # (over plain http, ingress-nginx redirects a host that has TLS to https).
            target = path if "://" in path else str(self._http.base_url)
            if target.startswith("https://"):
                extensions["sni_hostname"] = host
        if params is not None:
            # httpx sends None as an empty value, which the API rightly refuses: leave it out.
            params = {k: v for k, v in params.items() if v is not None}
        try:
            reply = await self._http.request(
                method, path, headers=headers, json=json, params=params, extensions=extensions
            )
        except httpx.HTTPError as exc:
            text = f"The API did not answer ({type(exc).__name__}); try again."
            return Reply(503, {"requestError": {"serviceException": {"text": text}}})
        try:
            body: Any = reply.json() if reply.content else None
        except ValueError:
            body = None
        return Reply(reply.status_code, body, reply.headers.get("ETag"))

    async def get_url(self, url: str) -> Reply:
        """An absolute URL (Jaeger's query API), no credentials."""
        return await self.send("GET", url, headers={"Accept": "application/json"})

    async def aclose(self) -> None:
        await self._http.aclose()
