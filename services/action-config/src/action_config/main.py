"""Composition root of action-config.

settings → telemetry → broker, database, views → services → handlers/routers → app.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from action_config import SERVICE_NAME
from action_config.api_auth import caller_dependency
from action_config.api_routes import BASE as ROUTES_BASE
from action_config.api_routes import routes_router
from action_config.api_targets import targets_router
from action_config.api_voice import voice_router
from action_config.calls_configurations import CallsConfigurations
from action_config.domain.refusals import Refusal
from action_config.handlers import register_subscribers
from action_config.ivr_notifications import IvrNotifications, policy
from action_config.ivr_scenarios import IvrScenarios
from action_config.ivr_usage import IvrUsage
from action_config.number_lifecycle import NumberLifecycle
from action_config.quotas import QuotaDefaults, Quotas
from action_config.routes import Routes
from action_config.settings import Settings
from action_config.store import Collections
from action_config.target_lookup import Targets
from action_config.views import MaskingConfigs
from action_config.voice_records import MongoHistoryStore, MongoNumberStore
from action_config.voice_setups import VoiceSetups
from callplane_shared.auth import AccountDirectory
from callplane_shared.catch_up import GroupCatchUp
from callplane_shared.http_errors import error_response
from callplane_shared.kafka import build_broker, client_options
from callplane_shared.librdkafka import librdkafka_options
from callplane_shared.mongo import build_mongo_client
from callplane_shared.openapi_docs import APP_KEY, OpenApiRules
from callplane_shared.outbox import OutboxRelay
from callplane_shared.ratelimit import rate_limiter
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.sealing import CredentialCipher
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.topics import ACCOUNTS, MASKING_CONFIGS, NUMBERS_LIFECYCLE
from callplane_shared.views import CompactedTopicView
from callplane_shared.webhooks import AddressPolicy, SenderLimits, WebhookSender

PUBLIC_PREFIXES = ("/numbers/2/", "/callrouting/1/", "/calls/1/", "/voice/ivr/1/")


async def _on_refusal(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)  # noqa: S101 - registered for Refusal only
    errors = {exc.field: [exc.text]} if exc.field else None
    return error_response(exc.status, exc.text, errors, request=request)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    broker = build_broker(SERVICE_NAME, settings, tracer_provider)
    mongo = build_mongo_client(settings, SERVICE_NAME)
    collections = Collections.of(mongo, settings.mongodb_database)

    supervisor = Supervisor(SERVICE_NAME)
    directory = AccountDirectory(rate_limiter(settings))
    masking = MaskingConfigs()
    kafka = client_options(settings)
    views_kafka = librdkafka_options(settings)
    accounts_view = CompactedTopicView(
        views_kafka, ACCOUNTS.name, directory.apply, supervisor=supervisor
    )
    masking_view = CompactedTopicView(
        views_kafka, MASKING_CONFIGS.name, masking.apply, supervisor=supervisor
    )
    relay = OutboxRelay(broker, collections.with_outbox, supervisor=supervisor)
    lease_catch_up = GroupCatchUp(kafka, NUMBERS_LIFECYCLE.name, settings.group(SERVICE_NAME))

    targets = Targets(collections, masking)
    numbers = MongoNumberStore(collections.numbers, broker)
    history = MongoHistoryStore(collections.voice_history)
    lifecycle = NumberLifecycle(numbers, history)
    cipher = CredentialCipher(settings.ivr_key_bytes)
    notifier = WebhookSender(
        AddressPolicy.parse(settings.ivr_notify_allowed_hosts),
        user_agent=f"{SERVICE_NAME}/{package_version(SERVICE_NAME)}",
        limits=SenderLimits(per_customer=settings.ivr_notify_per_account_concurrency),
    )
    notifications = IvrNotifications(
        collections,
        notifier,
        policy(
            budget=settings.ivr_notify_timeout_seconds,
            max_attempts=settings.ivr_notify_max_attempts,
            per_account=settings.ivr_notify_per_account_concurrency,
        ),
        supervisor,
        cipher,
    )
    usage = IvrUsage(collections.ivr_scenarios, settings.ivr_usage_throttle_seconds)
    register_subscribers(broker, lifecycle, settings.group(SERVICE_NAME), usage, notifications)
    caller = caller_dependency(directory)
    quotas = Quotas(
        collections,
        QuotaDefaults(
            routes=settings.max_routes_per_account,
            criteria_per_route=settings.max_criteria_per_route,
            scenarios=settings.max_scenarios_per_account,
            configs=settings.max_configs_per_account,
        ),
    )

    retention = timedelta(days=settings.voice_history_retention_days)

    async def prune_history() -> None:
        await history.prune(retention)

    async def leases_handled(number_key: str) -> bool:
        return await lease_catch_up.wait(number_key.encode(), settings.lease_catch_up_seconds)

    async def start() -> None:
        await collections.ensure_indexes()
        await history.ensure_indexes()
        await notifications.ensure_indexes()
        await notifications.worker.start()
        supervisor.every("voice-history-retention", 3600, prune_history)
        await lease_catch_up.start()
        await accounts_view.start()
        await masking_view.start()
        await relay.start()

    async def stop() -> None:
        await supervisor.stop("voice-history-retention")
        await notifications.worker.stop()
        await notifier.aclose()
        await lease_catch_up.stop()
        await relay.stop()
        await masking_view.stop()
        await accounts_view.stop()

    async def views_caught_up() -> bool:
        return accounts_view.caught_up and masking_view.caught_up

    app = service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=broker,
            mongo=mongo,
            tracer_provider=tracer_provider,
            routers=(
                voice_router(VoiceSetups(numbers, history, targets, leases_handled), caller),
                routes_router(Routes(collections, targets, broker), caller, quotas),
                targets_router(
                    CallsConfigurations(collections, targets),
                    IvrScenarios(collections, targets, broker, cipher),
                    caller,
                    quotas,
                ),
            ),
            readiness={"views": views_caught_up},
            on_startup=(start,),
            on_shutdown=(stop,),
            supervisor=supervisor,
            api_rules=OpenApiRules(
                security=dict.fromkeys(PUBLIC_PREFIXES, APP_KEY),
                api_error_prefixes=(ROUTES_BASE,),
            ),
        )
    )
    app.add_exception_handler(Refusal, _on_refusal)
    return app


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
