"""Status reports: persisted when a masked call ends, then delivered by a background loop that
survives restarts (the pending document is the queue) and retries with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from callplane_shared.events import CallStatus
from callplane_shared.metrics import STATUS_REPORT_BACKLOG, STATUS_REPORTS
from callplane_shared.mongo import Document
from number_masking.domain.reports import FINAL_STATES, build_report
from number_masking.resolver import Poster
from number_masking.store import Store
from number_masking.webhooks import WebhookError

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0
# A claimed report is invisible to other instances for this long, so two never post it at once;
# if the claimer dies mid-delivery, the report becomes due again after the lease.
CLAIM_LEASE = timedelta(seconds=30)


def _now() -> datetime:
    return datetime.now(UTC)


async def record_status(store: Store, status: CallStatus) -> bool:
    """Queue the report of a finished masked call; False when there is nothing to report."""
    if status.state not in FINAL_STATES:
        return False
    decided = await store.latest_decision(status.call_id)
    if decided is None:
        return False
    body = build_report(
        status,
        action=decided.get("action") or "dial",
        caller=decided.get("caller") or status.from_,
        called=decided.get("called") or status.to,
        extra=decided.get("extra") or {},
    )
    now = _now()
    try:
        await store.reports.insert_one(
            {
                "_id": status.call_id,
                "accountId": decided["accountId"],
                "configKey": decided["configKey"],
                "body": body,
                "state": "pending",
                "attempts": 0,
                "nextAttemptAt": now,
                "createdAt": now,
            }
        )
    except DuplicateKeyError:
        return False  # the same final status delivered twice: one report is enough
    return True


class StatusDelivery:
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
    ) -> None:
        self._store = store
        self._poster = poster
        self._connect = connect_timeout
        self._budget = budget
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._poll = poll_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="status-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:
                logger.exception("status delivery pass failed; retrying")
            await asyncio.sleep(self._poll)

    async def deliver_due(self) -> int:
        now = _now()
        # Pending reports, due or waiting for their retry: served by the (state, nextAttemptAt)
        # index, once per pass.
        backlog = await self._store.reports.count_documents({"state": "pending"})
        STATUS_REPORT_BACKLOG.set(backlog)
        due = self._store.reports.find(
            {"state": "pending", "nextAttemptAt": {"$lte": now}}, {"_id": 1}
        ).limit(100)
        claimed: list[Any] = []
        async for doc in due:
            result = await self._store.reports.update_one(
                {"_id": doc["_id"], "state": "pending", "nextAttemptAt": {"$lte": now}},
                {"$set": {"nextAttemptAt": now + CLAIM_LEASE}},
            )
            if result.modified_count == 1:
                claimed.append(doc["_id"])
        await asyncio.gather(*(self._deliver(report_id) for report_id in claimed))
        return len(claimed)

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
        for url in urls:
            try:
                await self._poster.post(
                    url,
                    doc["body"],
                    credentials=credentials,
                    connect_timeout=self._connect,
                    budget=self._budget,
                    expect_json=False,
                )
            except WebhookError as exc:
                errors.append(exc.reason)
                continue
            await self._finish(doc, "delivered", None, delivered_to=url)
            return
        await self._retry_later(doc, "; ".join(errors))

    async def _finish(
        self, doc: Document, state: str, error: str | None, delivered_to: str | None = None
    ) -> None:
        # delivered, or never tried: dropped (config gone), skipped (no statusUrl); gave_up is
        # counted by `_retry_later`.
        if state != "failed":
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

    async def _retry_later(self, doc: Document, error: str) -> None:
        attempts = int(doc.get("attempts", 0)) + 1
        if attempts >= self._max_attempts:
            logger.warning(
                "status report %s given up after %d attempts",
                doc["_id"],
                attempts,
                extra={"call_id": doc["_id"]},
            )
            STATUS_REPORTS.labels("gave_up").inc()
            await self._finish(doc, "failed", error)
            return
        STATUS_REPORTS.labels("retried").inc()
        delay = min(self._backoff * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
        await self._store.reports.update_one(
            {"_id": doc["_id"]},
            {
                "$set": {
                    "attempts": attempts,
                    "lastError": error,
                    "nextAttemptAt": _now() + timedelta(seconds=delay),
                }
            },
        )
