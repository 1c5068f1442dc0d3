"""Composition root of the sip-edge adapter.

settings → telemetry → Kafka (CallPublisher out, one DecisionWaiter in) → evapi client to
Kamailio → HTTP app (`/livez`, `/readyz`, `/metrics`, IVR scripts for the media server).
Nothing connects at import time.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from callplane_client.publisher import CallPublisher
from callplane_shared.health import health_router
from callplane_shared.http_errors import install_error_handlers
from callplane_shared.kafka import client_options
from callplane_shared.metrics import install_metrics
from callplane_shared.runtime import serve
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_sip_edge import SERVICE_NAME
from callplane_sip_edge.calls import CallBook
from callplane_sip_edge.decisions import DecisionWaiter
from callplane_sip_edge.edge import EdgePolicy, SipEdge
from callplane_sip_edge.evapi import EvapiClient
from callplane_sip_edge.gateways import GatewayTable
from callplane_sip_edge.ivr_scripts import IvrScripts, scripts_router
from callplane_sip_edge.plan import EdgeRoutes
from callplane_sip_edge.settings import Settings
from callplane_sip_edge.wire import Timers

log = logging.getLogger(__name__)


def _policy(settings: Settings) -> EdgePolicy:
    return EdgePolicy(
        routes=EdgeRoutes(
            GatewayTable(settings.sip_gateways),
            settings.sip_media_server_uri,
            settings.sip_ivr_script_base_url,
        ),
        timers=Timers(ring_ms=settings.sip_ring_timeout_ms, reply_ms=settings.sip_reply_timeout_ms),
        decision_timeout=settings.sip_decision_timeout_seconds,
        timeout_route_uri=(
            settings.sip_timeout_route_uri if settings.sip_timeout_action == "route" else None
        ),
        max_pending=settings.sip_max_pending_decisions,
    )


def _stop_when_done(task: asyncio.Task[None]) -> None:
    """A loop the edge cannot work without ended: stop the process so it is restarted."""
    if task.cancelled():
        return
    log.critical("%s stopped (%r); shutting down", task.get_name(), task.exception())
    signal.raise_signal(signal.SIGTERM)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    kafka = client_options(settings)
    bootstrap = kafka.pop("bootstrap_servers")
    host, _, port = settings.sip_evapi_address.rpartition(":")
    running: dict[str, EvapiClient | DecisionWaiter] = {}
    supervisor = Supervisor(SERVICE_NAME)
    scripts = IvrScripts(settings.sip_max_ivr_scripts)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # aiokafka clients belong to the running loop, so they are made here, not before.
        publisher = CallPublisher(
            bootstrap,
            inbound_topic=settings.calls_inbound_topic,
            status_topic=settings.calls_status_topic,
            client_id=SERVICE_NAME,
            **kafka,
        )
        waiter = DecisionWaiter(bootstrap, settings.calls_decisions_topic, kafka)
        tracer = tracer_provider.get_tracer(SERVICE_NAME)
        book = CallBook(settings.sip_max_calls)
        edge = SipEdge(_policy(settings), publisher, waiter, book, tracer, scripts=scripts)
        evapi = EvapiClient(host, int(port), edge.on_message)
        edge.send = evapi.send
        await publisher.__aenter__()
        await waiter.start()
        running.update(evapi=evapi, waiter=waiter)
        # The evapi link is supervised (a dead link fails /livez); the decisions reader, which
        # the adapter cannot work without either, stops the process outright.
        supervisor.start("evapi-link", evapi.run)
        if waiter.task is not None:
            waiter.task.add_done_callback(_stop_when_done)
        try:
            yield
        finally:
            await supervisor.stop("evapi-link")
            await edge.drain()
            await waiter.stop()
            await publisher.__aexit__(None, None, None)
            tracer_provider.force_flush()

    async def kamailio_connected() -> bool:
        evapi = running.get("evapi")
        return isinstance(evapi, EvapiClient) and evapi.connected

    async def decisions_reader() -> bool:
        waiter = running.get("waiter")
        task = waiter.task if isinstance(waiter, DecisionWaiter) else None
        return task is not None and not task.done()

    app = FastAPI(title=SERVICE_NAME, version=package_version(SERVICE_NAME), lifespan=lifespan)
    install_metrics(app, SERVICE_NAME)
    install_error_handlers(app)
    app.include_router(scripts_router(scripts))
    app.include_router(
        health_router(
            {"kamailio": kamailio_connected, "decisions": decisions_reader},
            settings.readiness_timeout_seconds,
            supervisor,
        )
    )
    return app


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
