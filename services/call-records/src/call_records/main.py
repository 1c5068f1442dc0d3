"""Composition root of call-records.

settings → telemetry → broker, database, accounts view → record store, price list, charger →
handlers, routers → `service_app`. Consumes `calls.inbound`, `calls.decisions`, `calls.status`
(group `call-records`) and `accounts` (view, for API keys and currencies); produces
`calls.charges` (see `charging`: Kafka's re-delivery, not an outbox relay, completes a charge);
sends call events to subscriptions (`call_events`).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from call_records import SERVICE_NAME
from call_records.api_history import history_router
from call_records.api_operator import operator_router
from call_records.charging import Charger
from call_records.handlers import register_subscribers
from call_records.overrides import PriceOverrides
from call_records.prices import load_price_list
from call_records.records import RecordStore
from call_records.retention import RetentionSweeper
from call_records.settings import Settings
from call_records.subscriptions.wiring import build_call_events
from callplane_shared.auth import AccountDirectory, require_account
from callplane_shared.kafka import build_broker
from callplane_shared.librdkafka import librdkafka_options
from callplane_shared.metrics import CALL_CHARGED_AMOUNT, CALL_CHARGES
from callplane_shared.mongo import build_mongo_client
from callplane_shared.openapi_docs import APP_KEY, OPERATOR_TOKEN, OpenApiRules
from callplane_shared.ratelimit import rate_limiter
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.topics import ACCOUNTS
from callplane_shared.views import CompactedTopicView


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    prices = load_price_list(settings.price_list_path)  # a bad file stops the start here
    # Series exist from the start (at 0), so dashboards and alerts see them before the first
    # charge of this process, e.g. right after a restart.
    for outcome in ("charged", "unrated"):
        CALL_CHARGES.labels(outcome)
    CALL_CHARGED_AMOUNT.labels(prices.currency)
    tracer_provider = configure_telemetry(SERVICE_NAME)
    broker = build_broker(SERVICE_NAME, settings, tracer_provider)
    mongo = build_mongo_client(settings, SERVICE_NAME)
    supervisor = Supervisor(SERVICE_NAME)
    directory = AccountDirectory(rate_limiter(settings))
    accounts = CompactedTopicView(
        librdkafka_options(settings), ACCOUNTS.name, directory.apply, supervisor=supervisor
    )

    store = RecordStore(
        mongo, settings.mongodb_database, timedelta(days=settings.records_retention_days)
    )
    overrides = PriceOverrides(store)
    charger = Charger(store, prices, overrides, directory, broker)
    account = require_account(directory)
    call_events = build_call_events(
        settings,
        mongo=mongo,
        database=settings.mongodb_database,
        records=store.calls,
        current_account=account,
        supervisor=supervisor,
    )
    register_subscribers(
        broker, store, charger, settings.group(SERVICE_NAME), call_events.after_write
    )
    sweeper = RetentionSweeper(store, supervisor)

    async def start() -> None:
        if not await store.ensure_indexes():
            await sweeper.start()
        await accounts.start()
        await accounts.wait_caught_up(settings.view_catch_up_seconds)
        await call_events.start()

    async def stop() -> None:
        await call_events.stop()
        await sweeper.stop()
        await accounts.stop()

    async def accounts_ready() -> bool:
        return accounts.caught_up

    return service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=broker,
            mongo=mongo,
            tracer_provider=tracer_provider,
            routers=[
                history_router(store, account, call_events.queue.deliveries_of),
                call_events.router,
                operator_router(store, overrides, settings.records_operator_token),
            ],
            readiness={"accounts": accounts_ready},
            supervisor=supervisor,
            api_rules=OpenApiRules(
                security={
                    "/calls/1/calls/": APP_KEY,
                    "/subscriptions/1/": APP_KEY,
                    "/records/1/": OPERATOR_TOKEN,
                }
            ),
            on_startup=[start],
            on_shutdown=[stop],
        )
    )


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
