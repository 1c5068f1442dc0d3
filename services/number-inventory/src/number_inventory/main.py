"""Composition root of number-inventory.

settings → telemetry → broker, database, views → services → HTTP routers.
Consumes: `accounts` (its own, to authenticate like every other service) and `voice.actions`
(for `voiceSetup`), both as compacted-topic views, `payments` (group number-inventory: the
payment system's PaymentSettled / PaymentFailed) and `calls.charges` (debits, once per call).
Produces: `accounts`, `accounts.balance` and `numbers.lifecycle`, all through the outbox.
Background (supervised): outbox relay, stale-claim sweeper, monthly rental (`rental.py`),
Conversations caller ID onto `numbers.lifecycle` (`caller_ids.py`).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from callplane_shared.auth import AccountDirectory, require_account
from callplane_shared.kafka import build_broker
from callplane_shared.librdkafka import librdkafka_options
from callplane_shared.mongo import build_mongo_client
from callplane_shared.openapi_docs import ADMIN_TOKEN, APP_KEY, OpenApiRules
from callplane_shared.outbox import OutboxRelay
from callplane_shared.ratelimit import rate_limiter
from callplane_shared.runtime import ServiceParts, serve, service_app
from callplane_shared.sealing import CredentialCipher
from callplane_shared.supervision import Supervisor
from callplane_shared.telemetry import configure_telemetry, package_version
from callplane_shared.topics import ACCOUNTS, VOICE_ACTIONS
from callplane_shared.views import CompactedTopicView
from callplane_shared.webhooks import AddressPolicy, SenderLimits, WebhookSender
from number_inventory import SERVICE_NAME
from number_inventory.accounts import Accounts
from number_inventory.api_account import account_router
from number_inventory.api_admin import IMPORT_PATH, MAX_CSV_BYTES, admin_router
from number_inventory.api_caller_id import caller_id_router
from number_inventory.api_conversations_queue import conversations_queue_router
from number_inventory.api_notifications import admin_notifications_router, notifications_router
from number_inventory.api_numbers import numbers_router
from number_inventory.balance_alerts import (
    BalanceAlerts,
    alerts_router,
    register_alert_subscriber,
)
from number_inventory.balance_notifications import (
    POLICY,
    BalanceNotifications,
    NotificationEndpoints,
)
from number_inventory.call_charges import CallCharges, register_charge_subscriber
from number_inventory.caller_ids import CallerIds, MongoCallerIdNumbers
from number_inventory.domain.money import to_minor
from number_inventory.domain.rental import RentalTerms
from number_inventory.funds import AccountFunds, FundedLedger
from number_inventory.leasing import Leasing
from number_inventory.ledger_entries import MongoLedgerEntries
from number_inventory.payment_events import register_payment_subscriber
from number_inventory.payment_records import MongoPaymentRecords
from number_inventory.payments import Payments
from number_inventory.recovery import StaleClaimSweeper
from number_inventory.rental import Rental
from number_inventory.rental_numbers import MongoRentalNumbers
from number_inventory.settings import Settings
from number_inventory.store import Collections, now
from number_inventory.voice_setups import VoiceSetups


def create_app(settings: Settings | None = None) -> FastAPI:  # noqa: PLR0915 - one composition root
    settings = settings or Settings()
    tracer_provider = configure_telemetry(SERVICE_NAME)
    broker = build_broker(SERVICE_NAME, settings, tracer_provider)
    mongo = build_mongo_client(settings, SERVICE_NAME)
    collections = Collections.of(mongo, settings.mongodb_database)

    supervisor = Supervisor(SERVICE_NAME)
    directory = AccountDirectory(rate_limiter(settings))
    voice = VoiceSetups()
    views_kafka = librdkafka_options(settings)
    accounts_view = CompactedTopicView(
        views_kafka, ACCOUNTS.name, directory.apply, supervisor=supervisor
    )
    voice_view = CompactedTopicView(
        views_kafka, VOICE_ACTIONS.name, voice.apply, supervisor=supervisor
    )

    funds = AccountFunds(collections.accounts, broker, directory)
    ledger = FundedLedger(
        MongoLedgerEntries(collections.ledger, broker),
        to_minor(settings.low_balance_threshold),
        funds=funds,
    )
    charges = CallCharges(ledger, funds)
    register_charge_subscriber(broker, charges, settings.group(SERVICE_NAME))
    alerts = BalanceAlerts(mongo[settings.mongodb_database]["inventory_balance_alerts"])
    database = mongo[settings.mongodb_database]
    endpoints = NotificationEndpoints(
        database["inventory_notification_endpoints"],
        CredentialCipher(settings.notifications_key_bytes),
    )
    notifier = WebhookSender(
        AddressPolicy.parse(settings.notifications_allowed_hosts),
        user_agent=f"{SERVICE_NAME}/{package_version(SERVICE_NAME)}",
        limits=SenderLimits(per_customer=POLICY.per_account),
    )
    notifications = BalanceNotifications(
        database["inventory_balance_notifications"], endpoints, notifier, supervisor
    )
    register_alert_subscriber(broker, alerts, settings.group(SERVICE_NAME), notifications.on_alert)
    accounts = Accounts(collections, broker, directory, ledger)
    leasing = Leasing(collections, broker, accounts)
    caller_ids = CallerIds(
        MongoCallerIdNumbers(collections.numbers, broker),
        voice,
        directory,
        settings.conversations_default_queue,
        supervisor=supervisor,
    )
    voice.listeners.append(caller_ids.note)
    directory.listeners.append(caller_ids.note_account)
    payments = Payments(MongoPaymentRecords(collections.payments), ledger)
    register_payment_subscriber(broker, payments, settings.group(SERVICE_NAME))
    relay = OutboxRelay(
        broker,
        [collections.accounts, collections.numbers, collections.ledger],
        supervisor=supervisor,
    )
    sweeper = StaleClaimSweeper(collections, broker, ledger, supervisor=supervisor)
    rental = Rental(
        MongoRentalNumbers(collections.numbers, collections.claims),
        ledger,
        RentalTerms(
            grace=timedelta(seconds=settings.rental_grace_seconds),
            period=(
                None
                if settings.rental_period_seconds is None
                else timedelta(seconds=settings.rental_period_seconds)
            ),
        ),
        clock=now,
        supervisor=supervisor,
        interval_seconds=settings.rental_interval_seconds,
    )
    current_account = require_account(directory)

    async def start() -> None:
        await collections.ensure_indexes()
        await accounts_view.start()
        await voice_view.start()
        await accounts_view.wait_caught_up(settings.view_catch_up_seconds)
        await voice_view.wait_caught_up(settings.view_catch_up_seconds)
        await relay.start()
        await caller_ids.start()
        await sweeper.start()
        await rental.start()
        await notifications.deliveries.ensure_indexes()
        await notifications.worker.start()

    async def stop() -> None:
        await rental.stop()
        await notifications.worker.stop()
        await notifier.aclose()
        await sweeper.stop()
        await caller_ids.stop()
        await relay.stop()
        await voice_view.stop()
        await accounts_view.stop()

    async def accounts_ready() -> bool:
        return accounts_view.caught_up

    async def voice_ready() -> bool:
        return voice_view.caught_up

    return service_app(
        ServiceParts(
            name=SERVICE_NAME,
            version=package_version(SERVICE_NAME),
            settings=settings,
            broker=broker,
            mongo=mongo,
            tracer_provider=tracer_provider,
            routers=[
                numbers_router(leasing, voice, current_account, settings.max_numbers_per_account),
                caller_id_router(
                    leasing, voice, current_account, settings.conversations_default_queue
                ),
                account_router(accounts, payments, current_account),
                conversations_queue_router(
                    accounts, current_account, settings.conversations_default_queue
                ),
                admin_router(accounts, payments, collections, settings.admin_token),
                alerts_router(alerts, current_account),
                notifications_router(endpoints, current_account),
                admin_notifications_router(endpoints, accounts, settings.admin_token),
            ],
            body_limits={IMPORT_PATH: MAX_CSV_BYTES},
            readiness={"accounts-view": accounts_ready, "voice-actions-view": voice_ready},
            on_startup=[start],
            on_shutdown=[stop],
            supervisor=supervisor,
            api_rules=OpenApiRules(
                security={"/numbers/1/": APP_KEY, "/account/1/": APP_KEY, "/admin/1/": ADMIN_TOKEN}
            ),
        )
    )


def run() -> None:
    settings = Settings()
    serve(create_app(settings), settings)
