"""What the services count while calls flow through the real broker, read from `/metrics` as
Prometheus would: decisions, their latency, masking callbacks, status reports, views, lag, DLQ;
and every metric a Grafana dashboard queries exists (dashboards cannot silently rot)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from callplane_shared.events import CallDecision, CallState, CallStatus, DecisionPath
from callplane_shared.topics import CALLS_INBOUND, CALLS_STATUS
from callplane_shared.voice import ForwardToIvr
from tests.integration.call_dispatch.support import (
    TopicWatcher,
    decision_for,
    number_with,
)
from tests.integration.number_masking.calls import CALLER, DESTINATION, create_config, decide
from tests.integration.number_masking.conftest import MakeTenant, TopicTail, now, publish
from tests.integration.number_masking.customer import CustomerServer, answer, failing_then
from tests.integration.observability.scrape import (
    SERVICES,
    Samples,
    names,
    scrape,
    series,
    value,
)
from tests.support import REPO_ROOT, eventually, unique
from tests.unit.call_dispatch.builders import inbound, unique_number

pytestmark = pytest.mark.integration

DISPATCH, MASKING = "call-dispatch", "number-masking"
DECISIONS = "callplane_decisions_total"
LATENCY_COUNT = "callplane_decision_latency_seconds_count"
CALLBACKS = "callplane_masking_callbacks_total"
CALLBACK_COUNT = "callplane_masking_callback_duration_seconds_count"
STATUS_REPORTS = "callplane_status_reports_total"
DIAL = {"command": "dial", "phoneNumber": DESTINATION, "callerId": CALLER}
METRIC_NAME = re.compile(r"\b(?:callplane|faststream)_\w+")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


@dataclass(frozen=True)
class Expect:
    """A series that must have grown by at least `by` since the `before` scrape."""

    name: str
    labels: dict[str, str]
    by: float = 1.0


async def grown(
    http: httpx.AsyncClient,
    service: str,
    before: Samples,
    expected: list[Expect],
) -> Samples:
    """Poll the service's metrics until every expected series grew (other traffic may add more,
    so at least, never exactly)."""

    async def probe() -> Samples | None:
        after = await scrape(http, service)
        short = [
            e
            for e in expected
            if value(after, e.name, **e.labels) < value(before, e.name, **e.labels) + e.by
        ]
        return None if short else after

    return await eventually(probe, timeout=20, interval=0.2, what=f"{service} metrics grew")


async def ivr_number(producer: AIOKafkaProducer, watcher: TopicWatcher) -> str:
    return await number_with(producer, watcher, ForwardToIvr(scenario_key="scn-metrics"))


async def finish(producer: AIOKafkaProducer, call_id: str) -> None:
    ended = now()
    status = CallStatus(
        call_id=call_id,
        from_=CALLER,
        to=DESTINATION,
        state=CallState.FINISHED,
        transfer_to=DESTINATION,
        ringing_at=ended - timedelta(seconds=20),
        answered_at=ended - timedelta(seconds=15),
        ended_at=ended,
        duration_seconds=15,
    )
    await publish(producer, CALLS_STATUS.name, call_id, status)


async def masked_call_via_backup(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
) -> tuple[CallDecision, Callable[[], Awaitable[bool]]]:
    """A masked call whose primary callback answers 500 and whose backup dials; its status
    report fails once, then is accepted. Returns the decision and a probe: report delivered."""
    tenant = await make_tenant()
    primary = customer.on(f"/{unique('primary')}", answer({"error": "down"}, status=500))
    backup = customer.on(f"/{unique('backup')}", answer(DIAL))
    status_path = f"/{unique('status')}"
    status_url = customer.on(status_path, failing_then(1, answer({})))
    key = await create_config(tenant, primary, backupCallbackUrl=backup, statusUrl=status_url)
    decided = await decide(producer, decisions, tenant, key)
    await finish(producer, decided.decision.call_id)

    async def delivered() -> bool:
        return len(customer.requests_to(status_path)) >= 2  # failed, then accepted

    return decided.decision, delivered


async def test_call_dispatch_counts_decisions_by_action_kind_path_and_reason(
    producer: AIOKafkaProducer, dispatch: TopicWatcher, http: httpx.AsyncClient
) -> None:
    number = await ivr_number(producer, dispatch)
    before = await scrape(http, DISPATCH)
    published = time.time()

    decided = await decision_for(producer, dispatch, inbound(number))
    rejected = await decision_for(producer, dispatch, inbound(unique_number()))

    assert decided["instruction"]["kind"] == "ivr"
    assert rejected["instruction"]["reason"] == "NUMBER_NOT_IN_SERVICE"
    ivr = {"service": DISPATCH, "action_type": "FORWARD_TO_IVR", "kind": "ivr", "path": "direct"}
    not_leased = {
        "service": DISPATCH,
        "action_type": "none",
        "kind": "reject",
        "path": "rejected",
        "reason": "NUMBER_NOT_IN_SERVICE",
    }
    after = await grown(
        http,
        DISPATCH,
        before,
        [
            Expect(DECISIONS, {**ivr, "reason": ""}),
            Expect(DECISIONS, not_leased),
            Expect(LATENCY_COUNT, {"service": DISPATCH, "kind": "ivr"}),
            Expect(LATENCY_COUNT, {"service": DISPATCH, "kind": "reject"}),
        ],
    )
    actions = {"service": DISPATCH, "view": "voice.actions"}
    assert value(after, "callplane_view_entries", **actions) >= 1
    # The number's action was applied before `published`; the barrier's marker just before it.
    applied_at = value(after, "callplane_view_last_applied_timestamp_seconds", **actions)
    assert applied_at > published - 60
    assert value(after, "callplane_view_entries", service=DISPATCH, view="voice.routes") >= 0
    lag = series(after, "callplane_consumer_lag_records")
    inbound_lag = [s for s in lag if s["topic"] == CALLS_INBOUND.name]
    assert inbound_lag, lag
    assert {s["group"] for s in inbound_lag} == {"call-dispatch"}


async def test_number_masking_counts_callbacks_decisions_and_status_reports(
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    decisions: TopicTail,
    http: httpx.AsyncClient,
) -> None:
    before = await scrape(http, MASKING)

    decision, delivered = await masked_call_via_backup(make_tenant, customer, producer, decisions)
    await eventually(delivered, timeout=20, what="status report delivered after one failure")

    assert decision.path is DecisionPath.BACKUP
    masked = {
        "service": MASKING,
        "action_type": "VOICE_NUMBER_MASKING",
        "kind": "forward",
        "path": "backup",
        "reason": "",
    }
    after = await grown(
        http,
        MASKING,
        before,
        [
            Expect(CALLBACKS, {"path": "primary", "outcome": "http_error"}),
            Expect(CALLBACKS, {"path": "backup", "outcome": "ok"}),
            Expect(CALLBACK_COUNT, {"path": "primary"}),
            Expect(CALLBACK_COUNT, {"path": "backup"}),
            Expect(DECISIONS, masked),
            Expect(LATENCY_COUNT, {"service": MASKING, "kind": "forward"}),
            Expect(STATUS_REPORTS, {"outcome": "retried"}),
            Expect(STATUS_REPORTS, {"outcome": "delivered"}),
        ],
    )
    assert ("callplane_status_report_backlog", frozenset()) in after
    lag = series(after, "callplane_consumer_lag_records")
    assert any(s["group"] == MASKING and s["topic"] == "masking.requests" for s in lag), lag


def dashboard_metrics() -> dict[str, set[str]]:
    """Every metric any dashboard panel queries, with the dashboards that query it."""
    used: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / "deploy/grafana/dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                for name in METRIC_NAME.findall(target.get("expr", "")):
                    used.setdefault(name, set()).add(path.name)
    return used


def exposed(name: str, available: set[str]) -> bool:
    """A queried name is there as itself, or as one of a histogram's series (`_bucket` queried,
    `_count` etc. present; exposition names carry the suffixes themselves)."""
    if name in available:
        return True
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            base = name.removesuffix(suffix)
            return any(f"{base}{s}" in available for s in HISTOGRAM_SUFFIXES)
    return False


async def test_every_metric_a_dashboard_queries_is_exposed_after_traffic(  # noqa: PLR0917 - fixtures
    make_tenant: MakeTenant,
    customer: CustomerServer,
    producer: AIOKafkaProducer,
    dispatch: TopicWatcher,
    decisions: TopicTail,
    http: httpx.AsyncClient,
) -> None:
    # A burst that touches every panel: direct and rejected decisions, a masked call with a
    # failing primary and a retried status report, and a record call-dispatch dead-letters.
    await decision_for(producer, dispatch, inbound(await ivr_number(producer, dispatch)))
    _, delivered = await masked_call_via_backup(make_tenant, customer, producer, decisions)
    broken = unique("call")
    await producer.send_and_wait(CALLS_INBOUND.name, b"{not json", key=broken.encode())

    async def dead_lettered() -> bool:
        return bool(dispatch.records[CALLS_INBOUND.dlq.name].get(broken))

    await eventually(dead_lettered, what="the undecodable call dead-lettered")
    await eventually(delivered, timeout=20, what="status report delivered")

    used = dashboard_metrics()
    assert used, "no dashboard queries found"

    async def missing_now() -> list[str]:
        available: set[str] = set()
        for service in SERVICES:
            available |= names(await scrape(http, service))
        return sorted(
            f"{n} ({', '.join(sorted(d))})" for n, d in used.items() if not exposed(n, available)
        )

    async def none_missing() -> bool:
        return not await missing_now()

    try:
        await eventually(none_missing, timeout=15, interval=0.5, what="dashboard metrics exposed")
    except AssertionError:
        pytest.fail(f"queried by dashboards but exposed by no service: {await missing_now()}")
