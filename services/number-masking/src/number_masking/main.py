"""Composition root of number-masking.

settings → telemetry → broker, database, views → store, webhook client, resolver → handlers,
routers → `service_app`. Nothing connects until the app's lifespan starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from callplane_shared.auth import AccountDirectory
from callplane_shared.kafka import build_broker, client_options
from callplane_shared.librdkafka import librdkafka_options
from callplane_shared.mongo import build_mongo_client
from callplane_shared.openapi_docs import APP_KEY, OpenApiRules
from callplane_shared.outbox import OutboxRelay
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.topics import ACCOUNTS, MASKING_REQUESTS
from callplane_shared.views import CompactedTopicView
from callplane_shared.webhooks import AddressPolicy, SenderLimits, WebhookSender
from callplane_shared.webhooks.admission import InFlight
from number_masking import SERVICE_NAME, USER_AGENT
from number_masking.api import build_router
from number_masking.api_upload import MAX_UPLOAD_BODY, UPLOAD_PREFIX, upload_router
from number_masking.audio_files import AudioFiles
from number_masking.consumer import ConcurrentConsumer
from number_masking.crypto import CredentialCipher
from number_masking.domain.decisions import Timeouts
from number_masking.handlers import masking_request_handler, register_subscribers
from number_masking.reports import StatusDelivery
from number_masking.resolver import Resolver
from number_masking.settings import Settings
from number_masking.store import Store


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    broker = build_broker(SERVICE_NAME, settings, tracer_provider)
    mongo = build_mongo_client(settings, SERVICE_NAME)
    supervisor = Supervisor(SERVICE_NAME)
    directory = AccountDirectory()
    accounts = CompactedTopicView(
        librdkafka_options(settings), ACCOUNTS.name, directory.apply, supervisor=supervisor
    )

    store = Store(
        mongo[settings.mongodb_database],
        broker,
        CredentialCipher(settings.credentials_key_bytes),
        lookup_cache_seconds=settings.masking_lookup_cache_seconds,
    )
    policy = AddressPolicy.parse(settings.masking_allowed_hosts)
    audio = AudioFiles(mongo[settings.mongodb_database])
    # Callbacks and reports are admitted separately: a customer's slow statusUrl must not use up
    # the share its calls need.
    callbacks = WebhookSender(
        policy,
        user_agent=USER_AGENT,
        limits=SenderLimits(
            per_customer=settings.masking_per_account_concurrency,
            per_address=settings.masking_per_host_concurrency,
            max_response_bytes=settings.masking_max_response_bytes,
        ),
    )
    reports = WebhookSender(
        policy,
        user_agent=USER_AGENT,
        limits=SenderLimits(
            per_customer=settings.masking_status_per_account_concurrency,
            per_address=settings.masking_per_host_concurrency,
        ),
    )
    defaults = Timeouts(settings.masking_connect_timeout_ms, settings.masking_total_timeout_ms)
    resolver = Resolver(
        store,
        callbacks,
        defaults,
        stale_after=timedelta(seconds=settings.masking_stale_after_seconds),
        store_timeout=settings.masking_store_timeout_ms / 1000,
        audio=audio,
        share=InFlight(settings.masking_per_account_concurrency, "customer"),
    )
    requests = ConcurrentConsumer(
        client_options(settings),
        MASKING_REQUESTS.name,
        settings.group(SERVICE_NAME),
        masking_request_handler(broker, resolver),
        max_in_flight=settings.masking_max_in_flight,
        drain_timeout=settings.shutdown_grace_seconds,
        supervisor=supervisor,
    )
    register_subscribers(
        broker,
        store,
        settings.group(SERVICE_NAME),
        timedelta(seconds=settings.masking_status_charge_wait_seconds),
    )
    delivery = StatusDelivery(
        store,
        reports,
        connect_timeout=defaults.connect_ms / 1000,
        budget=defaults.total_ms / 1000,
        max_attempts=settings.masking_status_max_attempts,
        backoff_seconds=settings.masking_status_backoff_seconds,
        poll_seconds=settings.masking_status_poll_seconds,
        concurrency=settings.masking_status_concurrency,
        supervisor=supervisor,
    )
    # Decisions carry no outbox (see `Store.save_decision`): only configs are relayed.
    relay = OutboxRelay(broker, [store.configs], supervisor=supervisor)

    async def accounts_ready() -> bool:
        return accounts.caught_up

    app = service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=broker,
            mongo=mongo,
            tracer_provider=tracer_provider,
            routers=[build_router(store, directory), upload_router(audio, directory)],
            readiness={"accounts": accounts_ready},
            on_startup=[
                store.create_indexes,
                audio.create_indexes,
                accounts.start,
                relay.start,
                requests.start,
                delivery.start,
            ],
            on_shutdown=[
                delivery.stop,
                relay.stop,
                accounts.stop,
                callbacks.aclose,
                reports.aclose,
            ],
            supervisor=supervisor,
            api_rules=OpenApiRules(security={"/voice/masking/": APP_KEY}),
            body_limits={UPLOAD_PREFIX: MAX_UPLOAD_BODY},
        )
    )
    _stop_before_broker(app, requests.stop)
    return app


def _stop_before_broker(app: FastAPI, stop: Callable[[], Awaitable[None]]) -> None:
    """Run `stop` before the shared lifespan stops the broker: in-flight decisions finish and are
    published (the shared runtime runs `on_shutdown` hooks only after the broker is gone)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(target: FastAPI) -> AsyncIterator[None]:
        async with inner(target):
            try:
                yield
            finally:
                await stop()

    app.router.lifespan_context = lifespan


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
