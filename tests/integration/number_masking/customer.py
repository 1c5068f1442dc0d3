"""A real HTTP server on 127.0.0.1 playing the customer's platform.

Each test registers its own paths (unique per test) with a behaviour; the server records every
request and checks its signatures with the shipped helper, as a customer would.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from callplane_shared import signing

Behaviour = Callable[[int], Awaitable[Response]]
"""Called with the 1-based number of the request on this path; returns the answer."""


@dataclass
class Received:
    path: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float
    v1_valid: bool | None = None
    infobip_valid: bool | None = None


@dataclass
class CustomerServer:
    host: str = "127.0.0.1"
    port: int = 0
    tls: tuple[str, str] | None = None
    """(certificate file, key file): serve https."""
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    secrets: dict[str, tuple[str, str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    def url(self, path: str, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def on(
        self, path: str, behaviour: Behaviour, credentials: tuple[str, str] | None = None
    ) -> str:
        """Register `path`; with `credentials` (apiId, key) its requests' signatures are checked."""
        self.behaviours[path] = behaviour
        if credentials is not None:
            self.secrets[path] = credentials
        return self.url(path)

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        target = path + (f"?{request.url.query}" if request.url.query else "")
        entry = Received(path, target, dict(request.headers), body, time.monotonic())
        if path in self.secrets:
            api_id, key = self.secrets[path]
            entry.v1_valid = _ok(lambda: signing.verify(request.headers, body, key))
            entry.infobip_valid = _ok(
                lambda: signing.verify_infobip(
                    request.headers.get("authorization", ""), api_id, key, target, body
                )
            )
        with self._lock:
            self.received.append(entry)
            count = sum(1 for r in self.received if r.path == path)
        behaviour = self.behaviours.get(path)
        if behaviour is None:
            return JSONResponse({"error": "unknown path"}, status_code=404)
        return await behaviour(count)

    def start(self) -> None:
        sock = socket.socket()
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/{rest:path}", self._handle, methods=["POST"])])
        certfile, keyfile = self.tls or (None, None)
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=30,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("customer server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


def _ok(check: Callable[[], object]) -> bool:
    try:
        check()
    except signing.SignatureError:
        return False
    return True


# --- behaviours -----------------------------------------------------------------------------


def answer(payload: dict[str, Any], status: int = 200) -> Behaviour:
    async def behaviour(_: int) -> Response:
        return JSONResponse(payload, status_code=status)

    return behaviour


def slow(seconds: float, payload: dict[str, Any] | None = None) -> Behaviour:
    async def behaviour(_: int) -> Response:
        # The customer being slow is what is under test; the service must not wait for it.
        await asyncio.sleep(seconds)
        return JSONResponse(payload or {"command": "dial", "phoneNumber": "41793026731"})

    return behaviour


def raw(body: bytes, content_type: str, status: int = 200, **headers: str) -> Behaviour:
    async def behaviour(_: int) -> Response:
        return Response(body, status_code=status, media_type=content_type, headers=headers)

    return behaviour


def trickle(seconds_per_byte: float) -> Behaviour:
    """A JSON answer whose body arrives one byte at a time (headers at once)."""

    async def body() -> AsyncIterator[bytes]:
        for byte in b'{"command": "dial", "phoneNumber": "41793026731"}':
            yield bytes([byte])
            await asyncio.sleep(seconds_per_byte)  # the customer being slow is under test

    async def behaviour(_: int) -> Response:
        return StreamingResponse(body(), media_type="application/json")

    return behaviour


def endless_json(total_bytes: int, chunk: int = 64 * 1024) -> Behaviour:
    """A chunked JSON answer of `total_bytes` with no Content-Length to refuse it up front."""

    async def body() -> AsyncIterator[bytes]:
        yield b'{"pad": "'
        for _ in range(total_bytes // chunk):
            yield b"x" * chunk
        yield b'"}'

    async def behaviour(_: int) -> Response:
        return StreamingResponse(body(), media_type="application/json")

    return behaviour


def failing_then(failures: int, then: Behaviour) -> Behaviour:
    async def behaviour(count: int) -> Response:
        if count <= failures:
            return JSONResponse({"error": "try later"}, status_code=500)
        return await then(count)

    return behaviour
