"""Composition root of action-config.

settings → telemetry → broker, database, HTTP app → handlers.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from action_config import SERVICE_NAME
from action_config.settings import Settings
from callplane_shared.kafka import build_broker
from callplane_shared.mongo import build_mongo_client
from callplane_shared.runtime import ServiceParts, service_app
from callplane_shared.telemetry import configure_telemetry, package_version


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    broker = build_broker(SERVICE_NAME, settings, tracer_provider)
    mongo = build_mongo_client(settings, SERVICE_NAME)
    return service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=broker,
            mongo=mongo,
            tracer_provider=tracer_provider,
        )
    )


def run() -> None:
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        log_level="info",
    )
