"""`WebhookSender.post`: one signed, deadline-bound delivery to a customer's URL.

Everything happens inside the caller's budget, in this order: the URL check, the customer's
admission, DNS (async), the address policy over every answer, the per-address admission, then a
connection pinned to the vetted address, the request, and a bounded read of the answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from callplane_shared.signing import infobip_authorization, signature_headers
from callplane_shared.webhooks.addresses import AddressPolicy
from callplane_shared.webhooks.admission import Admission
from callplane_shared.webhooks.dns import DnsResolver, NameResolver, ResolutionError
from callplane_shared.webhooks.errors import WebhookError
from callplane_shared.webhooks.pinning import pinned, pinned_transport


@dataclass(frozen=True)
class SigningKey:
    """A customer's webhook credentials: `apiId` for Infobip's header, `key` the shared secret."""

    api_id: str
    key: str

    def __repr__(self) -> str:  # the key never reaches a log line
        return f"SigningKey(api_id={self.api_id!r}, key=***)"


@dataclass(frozen=True)
class SenderLimits:
    per_customer: int = 32
    """Deliveries in flight per customer; the next one fails at once with outcome `busy`."""
    per_address: int = 32
    """Deliveries in flight per resolved IP address (all hostnames on it together)."""
    max_response_bytes: int = 64 * 1024


@dataclass
class _Attempt:
    url: str
    customer: str
    connect_timeout: float
    started: float
    budget: float
    expect_json: bool
    step: str = "before sending"
    """Where the attempt is, for the reason a timeout gives."""


def request_target(url: str) -> str:
    """Path plus `?query` as sent: the string Infobip's Authorization hash covers."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _literal_address(host: str, policy: AddressPolicy) -> str:
    """The URL's host when it is an IP address (ValueError otherwise), once the policy allows it."""
    address = str(ipaddress.ip_address(host))
    refusal = policy.refusal(host, [address])
    if refusal:
        raise WebhookError(f"refused: {refusal}", "refused_address")
    return address


def _tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class WebhookSender:
    """One per kind of delivery (callbacks, status reports, ...): each has its own admission, so
    a customer's slow status endpoint cannot use up the share its call callbacks need."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        user_agent: str,
        limits: SenderLimits | None = None,
        resolver: NameResolver | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.limits = limits or SenderLimits()
        self.admission = Admission(self.limits.per_customer, self.limits.per_address)
        self._policy = policy
        self._resolver = resolver or DnsResolver()
        pool = httpx.Limits(max_connections=None, max_keepalive_connections=200)
        # Redirects are never followed (a 3xx is a failure) and proxies from the environment are
        # ignored, so the address check means what it says.
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            transport=transport or pinned_transport(pool, verify),
            headers={"User-Agent": user_agent},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        customer: str,
        signing: SigningKey | None,
        connect_timeout: float,
        budget: float,
        expect_json: bool = True,
        authorization: str | None = None,
    ) -> Any:
        """POST `payload` as compact JSON; return the parsed JSON answer (None without
        `expect_json`, where any 2xx will do). Raises `WebhookError` for every kind of failure,
        at the latest when `budget` seconds have passed.

        `authorization` replaces Infobip's signature in the `Authorization` header (a customer
        whose endpoint wants HTTP Basic); the `X-Callplane-Signature` headers stay."""
        attempt = _Attempt(url, customer, connect_timeout, time.monotonic(), budget, expect_json)
        try:
            async with asyncio.timeout(budget):
                return await self._post(attempt, payload, signing, authorization)
        except TimeoutError:
            elapsed = int((time.monotonic() - attempt.started) * 1000)
            raise WebhookError(f"timeout after {elapsed} ms {attempt.step}", "timeout") from None

    async def _post(
        self,
        attempt: _Attempt,
        payload: Mapping[str, Any],
        signing: SigningKey | None,
        authorization: str | None,
    ) -> Any:
        parsed = httpx.URL(attempt.url)
        if parsed.scheme not in {"http", "https"} or not parsed.host or parsed.userinfo:
            raise WebhookError(f"refused URL {parsed.scheme}://…", "refused_url")
        host = parsed.raw_host.decode("ascii")
        with self.admission.customers.hold(attempt.customer):
            attempt.step = "resolving the host"
            address = await self._vetted_address(host, attempt.started + attempt.budget)
            with self.admission.addresses.hold(address):
                body = json.dumps(payload, separators=(",", ":")).encode()
                headers = {"Content-Type": "application/json", "Accept": "application/json"}
                if signing is not None:
                    headers["Authorization"] = infobip_authorization(
                        signing.api_id, signing.key, request_target(attempt.url), body
                    )
                    headers.update(signature_headers(signing.key, body))
                if authorization is not None:
                    headers["Authorization"] = authorization
                attempt.step = "waiting for the answer"
                with pinned(host, address):
                    return await self._send(attempt, body, headers)

    async def _vetted_address(self, host: str, deadline: float) -> str:
        try:
            return _literal_address(host, self._policy)
        except ValueError:
            pass
        try:
            addresses = await self._resolver.resolve(host, max(0.0, deadline - time.monotonic()))
        except ResolutionError as exc:
            raise WebhookError(f"DNS: {exc}", "dns_error") from None
        refusal = self._policy.refusal(host, addresses)
        if refusal:
            raise WebhookError(f"refused: {refusal}", "refused_address")
        return addresses[0]

    async def _send(self, attempt: _Attempt, body: bytes, headers: dict[str, str]) -> Any:
        timeout = httpx.Timeout(None, connect=attempt.connect_timeout)
        try:
            async with self._client.stream(
                "POST", attempt.url, content=body, headers=headers, timeout=timeout
            ) as response:
                attempt.step = "reading the answer"
                return await self._read(response, attempt.expect_json)
        except httpx.ConnectTimeout:
            raise WebhookError(
                f"connect timeout after {int(attempt.connect_timeout * 1000)} ms",
                "connect_timeout",
            ) from None
        except httpx.ConnectError as exc:
            if _tls_failure(exc):
                raise WebhookError(f"TLS failure: {exc}", "tls_error") from None
            raise WebhookError(f"connection error: {exc or 'refused'}", "connect_error") from None
        except httpx.HTTPError as exc:
            raise WebhookError(f"HTTP error: {type(exc).__name__}", "transport_error") from None

    async def _read(self, response: httpx.Response, expect_json: bool) -> Any:
        if response.is_redirect:
            target = response.headers.get("location", "?")[:200]
            raise WebhookError(
                f"HTTP {response.status_code} redirect to {target} not followed", "redirect"
            )
        if not response.is_success:
            raise WebhookError(f"HTTP {response.status_code}", "http_error")
        if not expect_json:
            return None
        return await self._json(response)

    async def _json(self, response: httpx.Response) -> Any:
        content_type = response.headers.get("content-type", "")
        if not _is_json(content_type):
            raise WebhookError(
                f"content-type {content_type[:100] or 'missing'!r} is not JSON", "not_json"
            )
        cap = self.limits.max_response_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise WebhookError(f"response body over {cap} bytes", "too_large")
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > cap:
                raise WebhookError(f"response body over {cap} bytes", "too_large")
        try:
            return json.loads(received)
        except (ValueError, UnicodeDecodeError):
            raise WebhookError("response is not valid JSON", "invalid_json") from None
