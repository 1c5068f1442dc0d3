"""The lifecycle every service shares: start the broker and database with the HTTP app, drain
them on shutdown.

Each service's composition root builds its own pieces and hands them to `service_app`; nothing
here connects at import time.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from callplane_shared.body_limit import BodyLimitMiddleware
from callplane_shared.health import ReadinessCheck, health_router, supervision_router
from callplane_shared.heap import settle_start_up_heap, watch_collector_pauses
from callplane_shared.http_errors import install_error_handlers, install_store_error_handler
from callplane_shared.kafka_outages import end_quiet_outages
from callplane_shared.logs import logging_config
from callplane_shared.metrics import install_metrics
from callplane_shared.openapi_docs import OpenApiRules, document_openapi
from callplane_shared.query_params import reject_unknown_query_parameters
from callplane_shared.settings import ServiceSettings
from callplane_shared.supervision import Supervisor

if TYPE_CHECKING:  # annotations only: call-dispatch has neither, and starts sooner without
    from faststream.kafka import KafkaBroker
    from pymongo import AsyncMongoClient

Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ServiceParts:
    """What a composition root hands over to be run."""

    name: str
    version: str
    settings: ServiceSettings
    # None for a service that talks to Kafka only through its own clients (call-dispatch): it
    # then names its own "kafka" readiness check.
    broker: KafkaBroker | None
    mongo: AsyncMongoClient[dict[str, Any]] | None
    """None for a service that keeps no database (call-dispatch)."""
    tracer_provider: TracerProvider
    routers: Sequence[APIRouter] = ()
    readiness: Mapping[str, ReadinessCheck] = field(default_factory=dict)
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()
    # The process's long-running tasks; `/livez` fails once one of them died. Components that
    # start tasks get the same one from the composition root.
    supervisor: Supervisor | None = None
    body_limits: Mapping[str, int] = field(default_factory=dict)
    """Path prefixes whose bodies may exceed `max_body_bytes` (as in deploy/routes.yaml)."""
    api_rules: OpenApiRules = field(default_factory=OpenApiRules)
    """Security schemes by path prefix and the prefixes answering Infobip's `ApiError`."""


def _readiness(parts: ServiceParts) -> dict[str, ReadinessCheck]:
    broker = parts.broker

    async def kafka_ready() -> bool:
        assert broker is not None  # noqa: S101 - only registered with a broker
        return await broker.ping(timeout=parts.settings.readiness_timeout_seconds)

    mongo = parts.mongo

    async def mongo_ready() -> bool:
        assert mongo is not None  # noqa: S101 - only registered with a client
        reply = await mongo.admin.command("ping")
        return bool(reply.get("ok"))

    checks: dict[str, ReadinessCheck] = {}
    if mongo is not None:
        checks["mongodb"] = mongo_ready
    if broker is not None:
        checks["kafka"] = kafka_ready
    checks.update(parts.readiness)
    return checks


def service_app(parts: ServiceParts) -> FastAPI:
    broker = parts.broker
    mongo = parts.mongo
    supervisor = parts.supervisor or Supervisor(parts.name)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if broker is not None:
            await broker.start()
        supervisor.every("kafka-outage-log", 1.0, end_quiet_outages)
        for hook in parts.on_startup:
            await hook()
        settle_start_up_heap()
        try:
            yield
        finally:
            # Order matters for draining: stop consuming and finish in-flight handlers (the
            # broker waits up to its graceful timeout), run the service's own flushes, then
            # close the database and export the last spans.
            if broker is not None:
                await broker.stop()
            for hook in parts.on_shutdown:
                await hook()
            # Whatever a component did not stop itself ends here, as a stop, not a death.
            await supervisor.stop_all()
            if mongo is not None:
                await mongo.close()
            parts.tracer_provider.force_flush()

    app = FastAPI(
        title=parts.name,
        version=parts.version,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query_parameters)],
    )
    install_error_handlers(app, parts.api_rules.api_error_prefixes)
    if parts.mongo is not None:
        install_store_error_handler(app)
    app.add_middleware(
        BodyLimitMiddleware, default=parts.settings.max_body_bytes, per_prefix=parts.body_limits
    )
    install_metrics(app, parts.name)
    watch_collector_pauses(parts.name)
    checks = _readiness(parts)
    app.include_router(health_router(checks, parts.settings.readiness_timeout_seconds, supervisor))
    if parts.settings.supervision_fault_injection:
        app.include_router(supervision_router(supervisor))
    for router in parts.routers:
        app.include_router(router)
    document_openapi(app, parts.api_rules)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=parts.tracer_provider, excluded_urls="livez,readyz,metrics"
    )
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises SIGTERM after a graceful shutdown, so the process ends "killed by
        # signal". We drained on purpose: exit 0, and Kubernetes and make read it as a clean stop.
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the HTTP server until SIGTERM/SIGINT, then drain (lifespan shutdown) and exit 0."""
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        log_config=logging_config(app.title, settings.log_level),
    )
    _Server(config).run()
