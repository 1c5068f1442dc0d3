"""Composition root of call-dispatch.

settings → telemetry → broker, HTTP app → view, dispatcher. No database: what happened to a call
is kept by call-records, from the topics.

Wiring in one place: consumes `calls.inbound` (dispatcher), `voice.actions`, `voice.routes` and
`accounts` (views); produces `calls.decisions`, `masking.requests` and `calls.inbound.dlq`.
"""

from __future__ import annotations

from fastapi import FastAPI

from call_dispatch import SERVICE_NAME
from call_dispatch.dispatcher import Dispatcher
from call_dispatch.lifecycle import DispatchLifecycle
from call_dispatch.metrics import watch_view
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared.kafka import build_broker, client_options
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.views import CompactedTopicView


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    broker = build_broker(SERVICE_NAME, settings, tracer_provider)
    view = DispatchView()
    watch_view(view)
    kafka = client_options(settings)
    views = (
        CompactedTopicView(kafka, settings.voice_actions_topic, view.apply_action),
        CompactedTopicView(kafka, settings.voice_routes_topic, view.apply_route),
        CompactedTopicView(kafka, settings.accounts_topic, view.accounts.apply),
    )
    lifecycle = DispatchLifecycle(views, Dispatcher(settings, view))
    return service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=broker,
            mongo=None,
            tracer_provider=tracer_provider,
            readiness={"view": lifecycle.ready},
            on_startup=[lifecycle.start],
            on_shutdown=[lifecycle.stop],
        )
    )


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
