"""Prometheus metrics every service exposes at `/metrics`: HTTP RED here, Kafka message rates and
durations from FastStream's middleware, and each service's own (decisions, callbacks, views)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from callplane_shared.events import CallDecision, RejectInstruction

HTTP_REQUESTS = Counter(
    "callplane_http_requests_total",
    "HTTP requests by route template, method and status class.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "callplane_http_request_duration_seconds",
    "HTTP request duration by route template.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
Next: TypeAlias = Callable[[Request], Awaitable[Response]]
UNMATCHED = "unmatched"  # one label for all unknown paths, so scanners cannot explode cardinality


def install_metrics(app: FastAPI, service: str, registry: CollectorRegistry = REGISTRY) -> None:
    # A plain route, not a mounted ASGI app: a mount redirects /metrics to /metrics/, and behind
    # a path-prefixing proxy that redirect loses the prefix.
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.middleware("http")
    async def red(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", UNMATCHED)
            if template not in {"/metrics", "/livez", "/readyz"}:
                HTTP_REQUESTS.labels(service, request.method, template, f"{status // 100}xx").inc()
                HTTP_DURATION.labels(service, request.method, template).observe(
                    time.perf_counter() - began
                )


# --- domain metrics: defined here so dashboards and alerts have one list to follow -------------

LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

DECISIONS = Counter(
    "callplane_decisions_total",
    "Call decisions published, by action type, instruction kind, path and reject reason.",
    ["service", "action_type", "kind", "path", "reason"],
)
DECISION_LATENCY = Histogram(
    "callplane_decision_latency_seconds",
    "From the edge's receivedAt to the decision being published.",
    ["service", "kind"],
    buckets=LATENCY_BUCKETS,
)
MASKING_CALLBACKS = Counter(
    "callplane_masking_callbacks_total",
    "Customer masking callbacks by path (primary, backup) and outcome (ok, timeout, error, ...).",
    ["path", "outcome"],
)
MASKING_CALLBACK_LATENCY = Histogram(
    "callplane_masking_callback_duration_seconds",
    "Duration of customer masking callbacks by path.",
    ["path"],
    buckets=LATENCY_BUCKETS,
)
STATUS_REPORTS = Counter(
    "callplane_status_reports_total",
    "Masked-call status report deliveries by outcome (delivered, retried, gave_up).",
    ["outcome"],
)
STATUS_REPORT_BACKLOG = Gauge(
    "callplane_status_report_backlog",
    "Status reports waiting for delivery.",
)
WEBHOOK_QUEUE_DELIVERIES = Counter(
    "callplane_webhook_queue_deliveries_total",
    "Durable webhook deliveries (call events, IVR notifications, balance notifications) by "
    "queue and outcome (delivered, retried, deferred, gave_up, dropped, superseded).",
    ["queue", "outcome"],
)
WEBHOOK_QUEUE_BACKLOG = Gauge(
    "callplane_webhook_queue_backlog",
    "Durable webhook deliveries waiting, per queue.",
    ["queue"],
)
VIEW_ENTRIES = Gauge(
    "callplane_view_entries",
    "Entries held in a service's in-memory view of a compacted topic.",
    ["service", "view"],
)
VIEW_LAST_APPLIED = Gauge(
    "callplane_view_last_applied_timestamp_seconds",
    "Unix time of the last record applied to a view (age = time() - this).",
    ["service", "view"],
)
DLQ_RECORDS = Counter(
    "callplane_dlq_records_total",
    "Records sent to a dead-letter topic.",
    ["service", "topic"],
)
CONSUMER_LAG = Gauge(
    "callplane_consumer_lag_records",
    "Records between a consumer group's position and the end of each partition.",
    ["service", "group", "topic", "partition"],
)
CALLS_SKIPPED = Counter(
    "callplane_calls_skipped_total",
    "Inbound calls not decided on purpose, by reason (too_old: older than MAX_CALL_AGE_SECONDS).",
    ["service", "reason"],
)
VIEW_RECORDS_SKIPPED = Counter(
    "callplane_view_records_skipped_total",
    "Records a group-less view could not apply and skipped (it keeps following).",
    ["service", "topic"],
)
TASKS_DIED = Counter(
    "callplane_supervised_task_deaths_total",
    "Supervised background tasks that ended unexpectedly; any makes /livez fail.",
    ["service", "task"],
)
KAFKA_OUTAGES = Counter(
    "callplane_kafka_outages_total",
    "Broker outages seen by a component (connection errors after a quiet period).",
    ["service", "component"],
)
KAFKA_OUTAGE_SECONDS = Counter(
    "callplane_kafka_outage_seconds_total",
    "Time components spent without the broker, summed when each outage ends.",
    ["service", "component"],
)


NO_ACTION_TYPE = "none"
"""The `action_type` label of decisions for numbers without an action (or not leased)."""


def decision_labels(decision: CallDecision) -> tuple[str, str, str, str]:
    """(action_type, kind, path, reason) of a decision: reason is the reject reason, else ''."""
    instruction = decision.instruction
    reason = instruction.reason if isinstance(instruction, RejectInstruction) else None
    action_type = decision.action_type
    return (
        NO_ACTION_TYPE if action_type is None else str(action_type),
        instruction.kind,
        str(decision.path),
        "" if reason is None else str(reason),
    )


# --- money: charges and blocked accounts --------------------------------------------------------

CALL_CHARGES = Counter(
    "callplane_call_charges_total",
    "Finished legs call-records rated, by outcome (charged, unrated).",
    ["outcome"],
)
CALL_CHARGED_AMOUNT = Counter(
    "callplane_call_charged_amount_total",
    "Sum of the charges call-records published, in currency units.",
    ["currency"],
)
LEDGER_CHARGES = Counter(
    "callplane_ledger_charges_total",
    "CallCharged events number-inventory handled: applied, duplicate (already in the ledger), "
    "short (the balance covered only part).",
    ["outcome"],
)
RENTAL_STEPS = Counter(
    "callplane_rental_steps_total",
    "Monthly rental steps number-inventory took: charged, overdue (could not be paid), "
    "released (unpaid past the grace period).",
    ["step"],
)
ACCOUNT_STATUS_CHANGES = Counter(
    "callplane_account_status_changes_total",
    "Accounts blocked (balance reached zero) and unblocked (a top-up settled).",
    ["status"],
)
BLOCKED_ACCOUNTS = Gauge(
    "callplane_blocked_accounts",
    "Accounts a service currently holds as BLOCKED (their calls are rejected).",
    ["service"],
)
GC_PAUSES = Histogram(
    "callplane_gc_pause_seconds",
    "Garbage-collector passes, by generation: the event loop stands still for each one.",
    ["service", "generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
