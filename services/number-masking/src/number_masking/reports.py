"""Status reports: persisted when a masked call ends, then delivered by a background loop that
survives restarts (the pending document is the queue) and retries with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from callplane_shared.events import CallDecision, CallStatus
from callplane_shared.metrics import STATUS_REPORT_BACKLOG, STATUS_REPORTS
from callplane_shared.mongo import Document
from callplane_shared.supervision import Supervisor
from callplane_shared.webhooks import WebhookError, retry_delay
from number_masking.domain.decisions import initial_round
from number_masking.domain.reports import FINAL_STATES, build_report
from number_masking.report_charges import (
    AWAITING_FIELD,
    CHARGE_FIELD,
    complete_report,
    known_charge,
    waiting_report,
)
from number_masking.resolver import Poster
from number_masking.store import Store

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0
# A claimed report is invisible to other instances for this long, so two never post it at once;
# if the claimer dies mid-delivery, the report becomes due again after the lease.
CLAIM_LEASE = timedelta(seconds=30)
# A report whose attempts are used up stays in the collection in this state, with `lastError`
# saying why: the dead letter an operator can inspect (and reset to `pending` to send again).
DEAD_LETTER = "dead_letter"


def _now() -> datetime:
    return datetime.now(UTC)


async def record_status(
    store: Store, status: CallStatus, charge_wait: timedelta = timedelta(0)
) -> bool:
    """Queue the report of a finished masked call; False when there is nothing to report. An
    answered call's report waits up to `charge_wait` for its price (see report_charges)."""
    if status.state not in FINAL_STATES:
        return False
    decided = await store.latest_decision(status.call_id)
    if decided is None:
        return False
    # The first round's decision: when the call came in, and its charge if that came first.
    first = await store.find_decision(initial_round(status.call_id)) or decided
    body = build_report(
        status,
        action=decided.get("action") or "dial",
        caller=decided.get("caller") or status.from_,
        called=decided.get("called") or status.to,
        extra=decided.get("extra") or {},
        received_at=received_at(first),
    )
    now = _now()
    report = waiting_report(body, first.get(CHARGE_FIELD), charge_wait)
    try:
        await store.reports.insert_one(
            {
                "_id": status.call_id,
                "accountId": decided["accountId"],
                "configKey": decided["configKey"],
                **report,
                "state": "pending",
                "attempts": 0,
                "createdAt": now,
            }
        )
    except DuplicateKeyError:
        return False  # the same final status delivered twice: one report is enough
    if report[AWAITING_FIELD]:
        # The charge may have arrived between the read above and the insert.
        charge = await known_charge(store, status.call_id)
        if charge is not None:
            await complete_report(store, status.call_id, charge)
    return True


def received_at(decided: Document) -> datetime | None:
    """When the edge received the call, from the decision masking published for it."""
    raw = decided.get("decision")
    if not raw:
        return None
    return CallDecision.model_validate_json(raw).received_at


class StatusDelivery:
    """Delivers due reports, each in its own task, at most `concurrency` at once: a slow
    statusUrl holds its own deliveries (and at most its account's share of the sender), never a
    whole batch. Every failure counts as an attempt, whatever raised it (HTTP, a store error,
    credentials that no longer decrypt); after `max_attempts` the report is dead-lettered with
    the reason (state `dead_letter`) instead of being claimed again forever."""

    def __init__(
        self,
        store: Store,
        poster: Poster,
        *,
        connect_timeout: float,
        budget: float,
        max_attempts: int,
        backoff_seconds: float,
        poll_seconds: float,
        concurrency: int,
        supervisor: Supervisor,
    ) -> None:
        self._store = store
        self._poster = poster
        self._connect = connect_timeout
        self._budget = budget
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._poll = poll_seconds
        self._concurrency = concurrency
        self._running: set[asyncio.Task[None]] = set()
        self._supervisor = supervisor

    async def start(self) -> None:
        self._supervisor.every("status-delivery", self._poll, self.deliver_due)

    async def stop(self) -> None:
        await self._supervisor.stop("status-delivery")
        # Deliveries still in flight are abandoned: their claim lapses and the next owner of
        # the queue sends them (a report may then arrive twice; the receiver answers 200).
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def deliver_due(self) -> list[asyncio.Task[None]]:
        """Claim due reports for the free delivery slots and start delivering them; the pass
        does not wait for them (the returned tasks are for tests)."""
        backlog = await self._store.reports.count_documents({"state": "pending"})
        STATUS_REPORT_BACKLOG.set(backlog)
        free = self._concurrency - len(self._running)
        if free <= 0:
            return []
        now = _now()
        due = self._store.reports.find(
            {"state": "pending", "nextAttemptAt": {"$lte": now}}, {"_id": 1}
        ).limit(free)
        started: list[asyncio.Task[None]] = []
        async for doc in due:
            result = await self._store.reports.update_one(
                {"_id": doc["_id"], "state": "pending", "nextAttemptAt": {"$lte": now}},
                # Claimed: no longer waiting for its charge, so a late one cannot change it.
                {"$set": {"nextAttemptAt": now + CLAIM_LEASE, AWAITING_FIELD: False}},
            )
            if result.modified_count == 1:
                task = asyncio.create_task(self._guarded(doc["_id"]))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
                started.append(task)
        return started

    async def _guarded(self, report_id: Any) -> None:
        try:
            await self._deliver(report_id)
        except Exception as exc:
            logger.warning("status report %s failed", report_id, exc_info=True)
            reason = f"{type(exc).__name__}: {exc}"[:500]
            with contextlib.suppress(Exception):  # the lease expires; the next pass retries
                await self._retry_later(report_id, reason)

    async def _deliver(self, report_id: Any) -> None:
        doc = await self._store.reports.find_one({"_id": report_id})
        if doc is None:
            return
        found = await self._store.config_for_call(doc["configKey"])
        if found is None or found[0] != doc["accountId"]:
            await self._finish(doc, "dropped", "masking config no longer exists")
            return
        config = found[1]
        urls = [u for u in (config.status_url, config.backup_status_url) if u]
        if not urls:
            await self._finish(doc, "skipped", "no statusUrl configured")
            return
        credentials = await self._store.credentials_for(doc["accountId"])
        errors: list[str] = []
        busy = True
        for url in urls:
            try:
                await self._poster.post(
                    url,
                    doc["body"],
                    customer=doc["accountId"],
                    signing=credentials,
                    connect_timeout=self._connect,
                    budget=self._budget,
                    expect_json=False,
                )
            except WebhookError as exc:
                errors.append(exc.reason)
                busy = busy and exc.outcome == "busy"
                continue
            await self._finish(doc, "delivered", None, delivered_to=url)
            return
        if busy:
            await self._defer(doc)
            return
        await self._retry_later(doc["_id"], "; ".join(errors))

    async def _defer(self, doc: Document) -> None:
        """Not sent at all (the account's share of deliveries is in use): due again shortly,
        and not counted as an attempt."""
        STATUS_REPORTS.labels("deferred").inc()
        await self._store.reports.update_one(
            {"_id": doc["_id"]},
            {"$set": {"nextAttemptAt": _now() + timedelta(seconds=self._backoff)}},
        )

    async def _finish(
        self, doc: Document, state: str, error: str | None, delivered_to: str | None = None
    ) -> None:
        # delivered, or never tried: dropped (config gone), skipped (no statusUrl).
        STATUS_REPORTS.labels(state).inc()
        await self._store.reports.update_one(
            {"_id": doc["_id"]},
            {
                "$set": {
                    "state": state,
                    "lastError": error,
                    "deliveredTo": delivered_to,
                    "finishedAt": _now(),
                },
                "$inc": {"attempts": 1},
            },
        )

    async def _retry_later(self, report_id: Any, error: str) -> None:
        doc = await self._store.reports.find_one_and_update(
            {"_id": report_id, "state": "pending"},
            {"$inc": {"attempts": 1}, "$set": {"lastError": error}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return
        attempts = int(doc["attempts"])
        if attempts >= self._max_attempts:
            logger.warning(
                "status report %s dead-lettered after %d attempts: %s",
                report_id,
                attempts,
                error,
                extra={"call_id": report_id},
            )
            STATUS_REPORTS.labels("gave_up").inc()
            await self._store.reports.update_one(
                {"_id": report_id},
                {"$set": {"state": DEAD_LETTER, "finishedAt": _now()}},
            )
            return
        STATUS_REPORTS.labels("retried").inc()
        await self._store.reports.update_one(
            {"_id": report_id},
            {"$set": {"nextAttemptAt": _now() + timedelta(seconds=self._delay(attempts))}},
        )

    def _delay(self, attempts: int) -> float:
        return retry_delay(attempts, self._backoff, MAX_BACKOFF_SECONDS)
