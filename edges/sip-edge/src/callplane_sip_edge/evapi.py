"""The adapter's side of Kamailio's evapi: one TCP connection, netstring frames
(`<length>:<payload>,`) carrying JSON objects both ways.

Why evapi rather than an HTTP hop or embedded Python: Kamailio suspends the INVITE's transaction
(`evapi_async_relay`) and resumes it when our answer arrives, so no SIP worker is blocked while
callplane decides; one long-lived connection carries every call's question and every dialog
event, with no per-call connection set-up; and the adapter stays an ordinary asyncio process
(Kafka clients, OpenTelemetry) instead of code running inside Kamailio's forked workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

MAX_FRAME = 64 * 1024  # an INVITE event is a few hundred bytes; anything larger is not ours
log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class FrameError(ValueError):
    pass


def encode(message: dict[str, Any]) -> bytes:
    payload = json.dumps(message, separators=(",", ":")).encode()
    return str(len(payload)).encode() + b":" + payload + b","


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One netstring payload; FrameError when the peer breaks the format or the size bound."""
    head = await reader.readuntil(b":")
    digits = head[:-1]
    if not digits.isdigit() or len(digits) > len(str(MAX_FRAME)):
        raise FrameError(f"bad netstring length {digits[:16]!r}")
    length = int(digits)
    if length > MAX_FRAME:
        raise FrameError(f"netstring of {length} bytes exceeds {MAX_FRAME}")
    body = await reader.readexactly(length + 1)
    if body[-1:] != b",":
        raise FrameError("netstring without its trailing comma")
    return body[:-1]


class EvapiClient:
    """Keeps one connection to Kamailio's evapi listener, reconnecting with a short backoff."""

    def __init__(self, host: str, port: int, handler: Handler) -> None:
        self._host, self._port = host, port
        self._handler = handler
        self._writer: asyncio.StreamWriter | None = None
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def send(self, message: dict[str, Any]) -> bool:
        """Write one message; False when Kamailio is not connected (it then answers 503 itself
        once its own timer runs out)."""
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        writer.write(encode(message))
        await writer.drain()
        return True

    async def run(self) -> None:
        """Connect, read frames, dispatch each to the handler; reconnect when the link drops."""
        backoff = 0.2
        while True:
            try:
                reader, writer = await asyncio.open_connection(self._host, self._port)
            except OSError as exc:
                log.info("evapi %s:%s not reachable (%s)", self._host, self._port, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.2
            self._writer = writer
            self._connected.set()
            log.info("connected to Kamailio evapi at %s:%s", self._host, self._port)
            try:
                await self._read(reader)
            except (
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ConnectionError,
                FrameError,
            ) as exc:
                log.warning("evapi connection lost: %s", exc)
            finally:
                self._connected.clear()
                self._writer = None
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            frame = await read_frame(reader)
            try:
                message = json.loads(frame)
            except ValueError:
                log.warning("evapi frame is not JSON; skipped")
                continue
            if isinstance(message, dict):
                await self._handler(message)
