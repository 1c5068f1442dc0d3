"""The only way number-masking talks to a customer's server: signed, bounded, refusing hostile
addresses, and isolated per host so one slow customer cannot stall another."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import httpx

from callplane_shared.signing import infobip_authorization, signature_headers
from number_masking.domain.addresses import AddressPolicy
from number_masking.store import Credentials

USER_AGENT = "callplane-number-masking/1"


class WebhookError(Exception):
    """The customer's server did not give a usable answer; `reason` says why, for pathReason;
    `outcome` is the short, bounded name of the failure for metrics (one of `OUTCOMES`)."""

    def __init__(self, reason: str, outcome: str = "error") -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome


OUTCOMES = (
    "ok",
    "timeout",
    "connect_timeout",
    "connect_error",
    "transport_error",
    "redirect",
    "http_error",
    "not_json",
    "too_large",
    "invalid_json",
    "invalid_answer",
    "refused_url",
    "refused_address",
    "dns_error",
    "error",
)
"""Every `outcome` label value of callplane_masking_callbacks_total (`invalid_answer` is the
resolver's: valid JSON that is no usable command)."""


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def request_target(url: str) -> str:
    """Path plus `?query` as sent: the string Infobip's Authorization hash covers."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


class WebhookClient:
    def __init__(
        self,
        policy: AddressPolicy,
        *,
        max_response_bytes: int,
        per_host_concurrency: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._policy = policy
        self._max_bytes = max_response_bytes
        self._semaphores: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host_concurrency)
        )
        # One pooled keep-alive client; redirects are never followed (a 3xx is a failure) and
        # proxies from the environment are ignored so the address check means what it says.
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            transport=transport,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=200),
            headers={"User-Agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(
        self,
        url: str,
        payload: dict[str, Any],
        *,
        credentials: Credentials | None,
        connect_timeout: float,
        budget: float,
        expect_json: bool = True,
    ) -> Any:
        """POST `payload` and return the parsed JSON answer (None when not `expect_json`).

        Everything, including DNS, waiting for the per-host slot, connecting and reading, happens
        inside `budget` seconds. Raises `WebhookError` for every kind of failure.
        """
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                return await self._post(url, payload, credentials, connect_timeout, expect_json)
        except TimeoutError:
            elapsed = int((time.monotonic() - started) * 1000)
            raise WebhookError(f"timeout after {elapsed} ms", "timeout") from None

    async def _post(
        self,
        url: str,
        payload: dict[str, Any],
        credentials: Credentials | None,
        connect_timeout: float,
        expect_json: bool,
    ) -> Any:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise WebhookError(f"refused URL scheme {parts.scheme!r}", "refused_url")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        await self._check_address(parts.hostname, port)
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if credentials is not None:
            headers["Authorization"] = infobip_authorization(
                credentials.api_id, credentials.key, request_target(url), body
            )
            headers.update(signature_headers(credentials.key, body))
        timeout = httpx.Timeout(None, connect=connect_timeout)
        async with self._semaphores[f"{parts.scheme}://{parts.hostname}:{port}"]:
            try:
                async with self._client.stream(
                    "POST", url, content=body, headers=headers, timeout=timeout
                ) as response:
                    return await self._read(response, expect_json)
            except httpx.ConnectTimeout:
                raise WebhookError(
                    f"connect timeout after {int(connect_timeout * 1000)} ms", "connect_timeout"
                ) from None
            except httpx.ConnectError as exc:
                raise WebhookError(
                    f"connection error: {exc or 'refused'}", "connect_error"
                ) from None
            except httpx.HTTPError as exc:
                raise WebhookError(f"HTTP error: {type(exc).__name__}", "transport_error") from None

    async def _read(self, response: httpx.Response, expect_json: bool) -> Any:
        if response.is_redirect:
            target = response.headers.get("location", "?")
            raise WebhookError(
                f"HTTP {response.status_code} redirect to {target} not followed", "redirect"
            )
        if not response.is_success:
            raise WebhookError(f"HTTP {response.status_code}", "http_error")
        if not expect_json:
            return None
        content_type = response.headers.get("content-type", "")
        if not _is_json(content_type):
            raise WebhookError(
                f"content-type {content_type or 'missing'!r} is not JSON", "not_json"
            )
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise WebhookError(f"response body over {self._max_bytes} bytes", "too_large")
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > self._max_bytes:
                raise WebhookError(f"response body over {self._max_bytes} bytes", "too_large")
        try:
            return json.loads(received)
        except (ValueError, UnicodeDecodeError):
            raise WebhookError("response is not valid JSON", "invalid_json") from None

    async def _check_address(self, hostname: str, port: int) -> None:
        try:
            addresses = [str(ipaddress.ip_address(hostname.strip("[]")))]
        except ValueError:
            if self._policy.host_allowlisted(hostname):
                return
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    hostname, port, type=socket.SOCK_STREAM
                )
            except OSError as exc:
                raise WebhookError(
                    f"cannot resolve {hostname}: {exc.strerror or exc}", "dns_error"
                ) from None
            addresses = [str(info[4][0]) for info in infos]
        refusal = self._policy.refusal(hostname, addresses)
        if refusal:
            raise WebhookError(f"refused: {refusal}", "refused_address")
