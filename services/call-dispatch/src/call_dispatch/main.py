"""Composition root of call-dispatch.

settings → telemetry → database, HTTP app → view, dispatcher, decision log. No FastStream broker:
the dispatcher's own aiokafka clients are the only Kafka connections, and answer `/readyz` too.

Wiring in one place: consumes `calls.inbound` (dispatcher), `voice.actions` and `voice.routes`
(views); produces `calls.decisions`, `masking.requests` and `calls.inbound.dlq`.
"""

from __future__ import annotations

from fastapi import FastAPI

from call_dispatch import SERVICE_NAME
from call_dispatch.decision_log import DecisionLog
from call_dispatch.dispatcher import Dispatcher
from call_dispatch.lifecycle import DispatchLifecycle
from call_dispatch.metrics import watch_view
from call_dispatch.operator_api import operator_router
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared.kafka import client_options
from callplane_shared.mongo import build_mongo_client
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.views import CompactedTopicView


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    mongo = build_mongo_client(settings, SERVICE_NAME)
    supervisor = Supervisor(SERVICE_NAME)
    view = DispatchView()
    watch_view(view)
    kafka = client_options(settings)
    views = (
        CompactedTopicView(
            kafka, settings.voice_actions_topic, view.apply_action, supervisor=supervisor
        ),
        CompactedTopicView(
            kafka, settings.voice_routes_topic, view.apply_route, supervisor=supervisor
        ),
    )
    log = DecisionLog(
        mongo[settings.mongodb_database][settings.decision_log_collection],
        supervisor=supervisor,
        flush_seconds=settings.decision_log_flush_seconds,
        batch=settings.decision_log_batch,
        queue_max=settings.decision_log_queue_max,
        enabled=settings.decision_log_enabled,
    )
    dispatcher = Dispatcher(settings, view, log, supervisor)
    lifecycle = DispatchLifecycle(views, dispatcher, log, supervisor)
    return service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=None,
            mongo=mongo,
            tracer_provider=tracer_provider,
            routers=[operator_router(log, settings.dispatch_operator_token)],
            readiness={"kafka": dispatcher.kafka_ready, "view": lifecycle.ready},
            on_startup=[lifecycle.start],
            on_shutdown=[lifecycle.stop],
            supervisor=supervisor,
        )
    )


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
