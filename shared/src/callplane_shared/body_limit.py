"""Request-body limits inside the app, the second line behind nginx/Ingress (`deploy/routes.yaml`):
a body over its route's limit is refused with 413 before a handler or a JSON parser sees it,
whether the client declared its length or streams it in chunks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callplane_shared.http_errors import envelope


class BodyTooLargeError(Exception):
    pass


def parse_size(text: str) -> int:
    """nginx's size syntax (`64k`, `5m`, `1024`) in bytes."""
    units = {"k": 1024, "m": 1024 * 1024}
    text = text.strip().lower()
    if text[-1:] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, default: int, per_prefix: Mapping[str, int]) -> None:
        self._app = app
        self._default = default
        # Longest prefix first, as nginx matches locations.
        self._per_prefix = sorted(per_prefix.items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self._per_prefix:
            if path.startswith(prefix):
                return limit
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        envelope("PAYLOAD_TOO_LARGE", f"Request body larger than {limit} bytes for this path.")
    ).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
