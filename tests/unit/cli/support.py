"""Running the CLI in-process against a fake API (httpx.MockTransport): no network."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from typer.testing import CliRunner, Result

from callplane_client.cli import app
from callplane_client.cli.runtime import Runtime

Handler = Callable[[httpx.Request], httpx.Response]


def envelope(status: int, message_id: str, text: str, **fields: list[str]) -> httpx.Response:
    problem: dict[str, Any] = {"messageId": message_id, "text": text}
    if fields:
        problem["validationErrors"] = fields
    return httpx.Response(status, json={"requestError": {"serviceException": problem}})


@dataclass
class FakeApi:
    """Answers by (method, path); records every request it saw."""

    routes: dict[tuple[str, str], Handler | httpx.Response] = field(default_factory=dict)
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return envelope(404, "NOT_FOUND", f"no fake for {request.method} {request.url.path}")
        return answer(request) if callable(answer) else answer

    def body(self, index: int = -1) -> Any:
        return json.loads(self.seen[index].content)


def invoke(fake: FakeApi, *args: str, env: dict[str, str] | None = None) -> Result:
    runtime = Runtime(transport=httpx.MockTransport(fake))
    return CliRunner().invoke(app, list(args), obj=runtime, env=env)
