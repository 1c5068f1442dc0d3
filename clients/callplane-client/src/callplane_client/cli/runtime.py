"""What every command gets from the root callback: the resolved configuration and an API client."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import typer

from callplane_client.cli.client import Api
from callplane_client.cli.config import Config


@dataclass
class Runtime:
    transport: httpx.BaseTransport | None = None  # tests pass an httpx.MockTransport here
    config: Config = field(default_factory=Config)

    def api(self) -> Api:
        return Api(
            self.config.url,
            {
                "App": self.config.api_key,
                "Admin": self.config.admin_token,
                "Bearer": self.config.operator_token,
            },
            transport=self.transport,
        )

    def trace_url(self, trace_id: str) -> str:
        # The query API, not the UI page: the local Jaeger is built without its UI, and this link
        # answers the trace as JSON everywhere (`callplane calls trace` renders it as a table).
        return f"{self.config.jaeger.rstrip('/')}/api/traces/{trace_id}"


def runtime(ctx: typer.Context) -> Runtime:
    return ctx.ensure_object(Runtime)


def api(ctx: typer.Context) -> Api:
    return runtime(ctx).api()
