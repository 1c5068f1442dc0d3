"""The adapters around the decider: decision log, operator endpoint, trace headers, AsyncAPI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr
from pymongo.errors import BulkWriteError

import call_dispatch
from call_dispatch.asyncapi import app as asyncapi_app
from call_dispatch.decision_log import DecisionLog, LogEntry, to_document, to_view
from call_dispatch.dispatcher import outgoing_trace
from call_dispatch.operator_api import operator_router
from callplane_shared.http_errors import install_error_handlers
from callplane_shared.tracing import context_from_headers

pytestmark = pytest.mark.unit

PAYLOAD = b'{"callId":"c-1","instruction":{"kind":"ivr","scenarioKey":"s"}}'
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _entry(call_id: str, latency_ms: float = 1.0, trace_id: str | None = None) -> LogEntry:
    return LogEntry(
        call_id,
        "decided",
        "+41790000001",
        "a",
        "FORWARD_TO_IVR",
        3,
        AT,
        AT,
        latency_ms,
        trace_id,
        PAYLOAD,
    )


class FakeCollection:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.inserts = 0

    async def insert_many(self, docs: list[dict[str, Any]], ordered: bool = True) -> None:
        assert ordered is False
        self.inserts += 1
        duplicates = []
        for i, doc in enumerate(docs):
            if doc["_id"] in self.docs:
                duplicates.append({"index": i, "code": 11000})
            else:
                self.docs[doc["_id"]] = doc
        if duplicates:
            raise BulkWriteError({"writeErrors": duplicates})

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        doc = self.docs.get(query["_id"])
        return None if doc is None else dict(doc)


def _log(collection: FakeCollection, **kwargs: Any) -> DecisionLog:
    return DecisionLog(collection, **kwargs)  # type: ignore[arg-type]


def test_log_document_says_why() -> None:
    doc = to_document(_entry("c-1", 1.23456, "abc"))
    assert doc["_id"] == "c-1"
    assert (doc["actionType"], doc["actionVersion"], doc["latencyMs"]) == (
        "FORWARD_TO_IVR",
        3,
        1.235,
    )
    assert doc["traceId"] == "abc"
    assert doc["payload"] == PAYLOAD.decode()
    view = to_view(doc)
    assert view["decision"]["instruction"]["scenarioKey"] == "s"
    assert "_id" not in view


async def test_log_flushes_in_batches_and_ignores_redelivered_calls() -> None:
    collection = FakeCollection()
    log = _log(collection, batch=2)
    for call_id in ("c-1", "c-2", "c-3", "c-1"):
        log.record(_entry(call_id))
    while log.pending:
        await log.flush_once()
    assert sorted(collection.docs) == ["c-1", "c-2", "c-3"]
    assert collection.inserts == 2
    assert log.written == 4


def test_a_full_queue_drops_the_oldest() -> None:
    log = _log(FakeCollection(), queue_max=2)
    for call_id in ("c-1", "c-2", "c-3"):
        log.record(_entry(call_id))
    assert (log.pending, log.dropped) == (2, 1)


def _client(collection: FakeCollection) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(operator_router(_log(collection), SecretStr("s3cret")))
    return TestClient(app)


def test_operator_endpoint_needs_the_token_and_serves_the_entry() -> None:
    collection = FakeCollection()
    collection.docs["c-1"] = to_document(_entry("c-1"))
    client = _client(collection)
    assert client.get("/dispatch/1/calls/c-1").status_code == 401
    wrong = client.get("/dispatch/1/calls/c-1", headers={"Authorization": "Bearer nope"})
    assert wrong.json()["requestError"]["serviceException"]["messageId"] == "UNAUTHORIZED"
    auth = {"Authorization": "Bearer s3cret"}
    found = client.get("/dispatch/1/calls/c-1", headers=auth)
    assert found.status_code == 200
    assert found.json()["actionVersion"] == 3
    assert "_id" not in found.json()
    missing = client.get("/dispatch/1/calls/c-404", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["requestError"]["serviceException"]["messageId"] == "NOT_FOUND"


def test_outgoing_trace_continues_the_callers_trace() -> None:
    parent = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert outgoing_trace() == ([], None)
    tracer = TracerProvider().get_tracer("test")
    context = context_from_headers([("traceparent", parent)])
    with tracer.start_as_current_span("handling", context=context):
        headers, trace_id = outgoing_trace()
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    sent = dict(headers)["traceparent"].decode()
    assert sent.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert sent != parent.decode()


def test_committed_asyncapi_matches_the_code() -> None:
    committed = Path(call_dispatch.__file__).parents[2] / "asyncapi.yaml"
    generated = asyncapi_app.schema.to_specification().to_yaml()
    # Compared as data: FastStream's channel order follows set iteration, which varies per run.
    same = yaml.safe_load(committed.read_text(encoding="utf-8")) == yaml.safe_load(generated)
    assert same, "asyncapi.yaml drifted: run `make asyncapi`"
    for topic in ("calls.inbound", "calls.decisions", "masking.requests", "voice.actions"):
        assert f"address: {topic}" in generated
