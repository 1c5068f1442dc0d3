"""number-masking's metrics and span attributes: one callback count per attempt and path, one
decision count per decided round (not per re-delivery), the decision on the request's span."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from prometheus_client import REGISTRY

from callplane_shared.events import DecisionPath
from callplane_shared.telemetry import Attr
from callplane_shared.webhooks import (
    OUTCOMES,
    AddressPolicy,
    SenderLimits,
    WebhookError,
    WebhookSender,
)
from number_masking.resolver import Resolver
from tests.support import unique
from tests.unit.number_masking.test_resolver import (
    DEFAULTS,
    DIAL,
    NOW,
    FakePoster,
    FakeStore,
    config,
    request,
)

pytestmark = pytest.mark.unit
PRIMARY, BACKUP = "https://primary.example/cb", "https://backup.example/cb"
LOOPBACK = "http://127.0.0.1:9/cb"
JSON = {"content-type": "application/json"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def masked_decisions(path: str, kind: str = "forward", reason: str = "") -> float:
    return sample(
        "callplane_decisions_total",
        service="number-masking",
        action_type="VOICE_NUMBER_MASKING",
        kind=kind,
        path=path,
        reason=reason,
    )


async def test_each_attempt_is_counted_by_path_and_outcome_and_the_decision_once() -> None:
    store = FakeStore(config(backupCallbackUrl=BACKUP, totalTimeoutMs=2000))
    poster = FakePoster({PRIMARY: WebhookError("timeout after 1200 ms", "timeout"), BACKUP: DIAL})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW)
    before = {
        "timeout": sample("callplane_masking_callbacks_total", path="primary", outcome="timeout"),
        "ok": sample("callplane_masking_callbacks_total", path="backup", outcome="ok"),
        "timed": sample("callplane_masking_callback_duration_seconds_count", path="backup"),
        "decided": masked_decisions("backup"),
    }

    call_id = unique("call")
    await resolver.handle(request(call_id=call_id))
    await resolver.handle(request(call_id=call_id))  # a re-delivery: no callback, no count

    assert (
        sample("callplane_masking_callbacks_total", path="primary", outcome="timeout")
        == before["timeout"] + 1
    )
    assert sample("callplane_masking_callbacks_total", path="backup", outcome="ok") == (
        before["ok"] + 1
    )
    assert sample("callplane_masking_callback_duration_seconds_count", path="backup") == (
        before["timed"] + 1
    )
    assert masked_decisions("backup") == before["decided"] + 1


async def test_an_unusable_answer_is_an_invalid_answer_and_the_reject_reason_a_label() -> None:
    store = FakeStore(config())
    poster = FakePoster({PRIMARY: {"command": "nonsense"}})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW)
    invalid = sample("callplane_masking_callbacks_total", path="primary", outcome="invalid_answer")
    rejected = masked_decisions("rejected", "reject", "MASKING_UNAVAILABLE")

    decided = await resolver.handle(request(call_id=unique("call")))

    assert decided.path is DecisionPath.REJECTED
    assert sample(
        "callplane_masking_callbacks_total", path="primary", outcome="invalid_answer"
    ) == (invalid + 1)
    assert masked_decisions("rejected", "reject", "MASKING_UNAVAILABLE") == rejected + 1


async def test_the_request_span_carries_path_kind_and_reason() -> None:
    tracer = TracerProvider().get_tracer("unit")
    store = FakeStore(config(backupCallbackUrl=BACKUP, totalTimeoutMs=2000))
    poster = FakePoster({PRIMARY: WebhookError("HTTP 502", "http_error"), BACKUP: DIAL})
    resolver = Resolver(store, poster, DEFAULTS, clock=lambda: NOW)

    with tracer.start_as_current_span("masking.requests process") as span:
        await resolver.handle(request(call_id=unique("call")))

    assert isinstance(span, ReadableSpan)
    attributes = dict(span.attributes or {})
    assert attributes[Attr.DECISION_PATH] == "backup"
    assert attributes[Attr.DECISION_KIND] == "forward"
    assert attributes[Attr.DECISION_REASON] == "primary: HTTP 502"
    assert attributes[Attr.ACTION_TYPE] == "VOICE_NUMBER_MASKING"
    assert trace.get_current_span() is not span


def test_every_failure_the_client_raises_has_a_known_outcome() -> None:
    assert WebhookError("x").outcome in OUTCOMES
    assert len(set(OUTCOMES)) == len(OUTCOMES)


def _failing(response: httpx.Response | Exception) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("url", "response", "outcome"),
    [
        (LOOPBACK, httpx.Response(503), "http_error"),
        (LOOPBACK, httpx.Response(302, headers={"location": "http://x"}), "redirect"),
        (LOOPBACK, httpx.Response(200, text="hi"), "not_json"),
        (LOOPBACK, httpx.Response(200, content=b"{", headers=JSON), "invalid_json"),
        (LOOPBACK, httpx.Response(200, content=b"1" * 2048, headers=JSON), "too_large"),
        (LOOPBACK, httpx.ConnectError("refused"), "connect_error"),
        (LOOPBACK, httpx.ConnectTimeout("slow"), "connect_timeout"),
        (LOOPBACK, httpx.ReadError("reset"), "transport_error"),
        ("ftp://127.0.0.1/cb", httpx.Response(200), "refused_url"),
        ("http://10.1.2.3/cb", httpx.Response(200), "refused_address"),
    ],
)
async def test_the_client_names_each_failure_with_a_known_outcome(
    url: str, response: httpx.Response | Exception, outcome: str
) -> None:
    webhooks = WebhookSender(
        AddressPolicy.parse("127.0.0.1"),
        user_agent="test/1",
        limits=SenderLimits(max_response_bytes=1024),
        transport=_failing(response),
    )
    with pytest.raises(WebhookError) as raised:
        await webhooks.post(
            url, {}, customer="acct-1", signing=None, connect_timeout=0.5, budget=1.0
        )
    await webhooks.aclose()
    assert raised.value.outcome == outcome
    assert outcome in OUTCOMES
