"""Prometheus metrics every service exposes at `/metrics`: HTTP RED here, Kafka message rates and
durations from FastStream's middleware, and each service's own (decisions, callbacks, views)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, make_asgi_app

HTTP_REQUESTS = Counter(
    "callplane_http_requests_total",
    "HTTP requests by route template, method and status class.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "callplane_http_request_duration_seconds",
    "HTTP request duration by route template.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
Next: TypeAlias = Callable[[Request], Awaitable[Response]]
UNMATCHED = "unmatched"  # one label for all unknown paths, so scanners cannot explode cardinality


def install_metrics(app: FastAPI, service: str, registry: CollectorRegistry = REGISTRY) -> None:
    app.mount("/metrics", make_asgi_app(registry))

    @app.middleware("http")
    async def red(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", UNMATCHED)
            if template not in {"/metrics", "/livez", "/readyz"}:
                HTTP_REQUESTS.labels(service, request.method, template, f"{status // 100}xx").inc()
                HTTP_DURATION.labels(service, request.method, template).observe(
                    time.perf_counter() - began
                )
