"""Composition root of call-dispatch.

settings → telemetry → HTTP app → views, dispatcher. No database: what happened to a call is kept
by call-records, from the topics. No FastStream broker either: the dispatcher's own librdkafka
clients and the views' aiokafka consumers are the only Kafka connections.

Wiring in one place: consumes `calls.inbound` (dispatcher), `voice.actions`, `voice.routes`,
`accounts` and `ivr.scenarios` (views); produces `calls.decisions`, `masking.requests` and
`calls.inbound.dlq`.
"""

from __future__ import annotations

from fastapi import FastAPI

from call_dispatch import SERVICE_NAME
from call_dispatch.dispatcher import Dispatcher
from call_dispatch.lifecycle import DispatchLifecycle
from call_dispatch.metrics import watch_view
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared.librdkafka import librdkafka_options
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.views import CompactedTopicView


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME, clients=())  # no database, no HTTP client
    supervisor = Supervisor(SERVICE_NAME)
    view = DispatchView(settings.conversations_default_queue)
    watch_view(view)
    kafka = librdkafka_options(settings)
    views = (
        CompactedTopicView(
            kafka, settings.voice_actions_topic, view.apply_action, supervisor=supervisor
        ),
        CompactedTopicView(
            kafka, settings.voice_routes_topic, view.apply_route, supervisor=supervisor
        ),
        CompactedTopicView(
            kafka, settings.accounts_topic, view.accounts.apply, supervisor=supervisor
        ),
        CompactedTopicView(
            kafka, settings.ivr_scenarios_topic, view.apply_scenario, supervisor=supervisor
        ),
    )
    dispatcher = Dispatcher(settings, view, supervisor)
    lifecycle = DispatchLifecycle(views, dispatcher, supervisor)
    return service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=None,
            mongo=None,
            tracer_provider=tracer_provider,
            readiness={"kafka": dispatcher.kafka_ready, "view": lifecycle.ready},
            on_startup=[lifecycle.start],
            on_shutdown=[lifecycle.stop],
            supervisor=supervisor,
        )
    )


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
