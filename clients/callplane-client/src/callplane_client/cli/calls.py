"""`callplane calls`: simulate an inbound call, read its decision log entry, follow decisions,
and find the trace of a call in Jaeger."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from callplane_client.cli.client import ApiError
from callplane_client.cli.decisions import summary
from callplane_client.cli.errors import CliError
from callplane_client.cli.output import JsonFlag, QuietFlag, emit, note
from callplane_client.cli.runtime import Runtime, runtime

if TYPE_CHECKING:
    from callplane_shared.events import CallDecision, InboundCall

app = typer.Typer(help="Inbound calls: simulate one, show its decision, tail decisions, trace.")
NOT_FOUND = 404
NUMBER_KEY = re.compile(r"[0-9A-F]{32}")


def _traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


class Endpoint(StrEnum):
    """The caller's endpoint types of `callplane_shared.events.EndpointType` (kept light here:
    the event contract is imported only when a call is published)."""

    PHONE = "PHONE"
    SIP = "SIP"
    WEBRTC = "WEBRTC"
    VIBER = "VIBER"
    WHATSAPP = "WHATSAPP"


async def _decide(kafka: str, call: InboundCall, timeout: float, traceparent: str) -> CallDecision:
    from callplane_client.publisher import CallPublisher

    async with CallPublisher(kafka) as publisher:
        return await publisher.decide(call, timeout=timeout, traceparent=traceparent)


@app.command()
def simulate(
    ctx: typer.Context,
    caller: Annotated[str, typer.Option("--from", help="Caller, E.164.")],
    to: Annotated[
        str, typer.Option(help="Called number (E.164, digits) or the numberKey of one of yours.")
    ],
    call_id: Annotated[str | None, typer.Option(help="Default: a new random id.")] = None,
    endpoint_type: Annotated[Endpoint, typer.Option(help="Caller's endpoint.")] = Endpoint.PHONE,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the decision.", min=0.1)
    ] = 10.0,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Publish an InboundCall, wait for its decision, print it with its trace link.

    Example: callplane calls simulate --from +41791234567 --to +4930123463
    """
    from callplane_client.publisher import DecisionTimeoutError
    from callplane_shared.events import CallEndpoint, EndpointType, InboundCall, utc_now

    state = runtime(ctx)
    call = InboundCall(
        call_id=call_id or f"sim-{uuid.uuid4().hex}",
        from_=caller,
        to=_e164(state, to),
        received_at=utc_now(),
        endpoint=CallEndpoint(type=EndpointType(endpoint_type.value)),
    )
    trace_id, traceparent = _traceparent()
    try:
        decision = asyncio.run(_decide(state.config.kafka, call, timeout, traceparent))
    except DecisionTimeoutError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot reach Kafka at {state.config.kafka}: {exc}") from None
    record = decision.model_dump(mode="json", by_alias=True)
    record |= {"traceId": trace_id, "traceUrl": state.trace_url(trace_id)}
    emit(record, as_json=as_json, view=summary, quiet=quiet, key="callId")


def _e164(state: Runtime, to: str) -> str:
    if NUMBER_KEY.fullmatch(to):
        to = state.api().get(f"/numbers/1/numbers/{to}")["number"]
    return to if to.startswith("+") else f"+{to}"


def _logged(state: Runtime, call_id: str, wait: float) -> dict[str, Any]:
    client = state.api()
    deadline = time.monotonic() + wait
    while True:
        try:
            entry: dict[str, Any] = client.get(f"/dispatch/1/calls/{call_id}", auth="Bearer")
        except ApiError as exc:
            if exc.status != NOT_FOUND or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)  # the log is written in batches within about a second
            continue
        if entry.get("traceId"):
            entry["traceUrl"] = state.trace_url(entry["traceId"])
        return entry


@app.command()
def show(
    ctx: typer.Context,
    call_id: Annotated[str, typer.Argument(help="The callId.")],
    wait: Annotated[float, typer.Option(help="Seconds to wait for the entry.", min=0)] = 5.0,
    as_json: JsonFlag = False,
) -> None:
    """The decision log entry of a call (operator token).  Example: callplane calls show <callId>"""
    entry = _logged(runtime(ctx), call_id, wait)
    emit(entry, as_json=as_json, view=summary)


@app.command()
def tail(
    ctx: typer.Context,
    count: Annotated[
        int | None, typer.Option(help="Stop after this many decisions.", min=1)
    ] = None,
    from_beginning: Annotated[bool, typer.Option(help="Start at the oldest decision.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Follow decisions live from Kafka (Ctrl-C to stop).  Example: callplane calls tail"""
    kafka = runtime(ctx).config.kafka
    note(f"following calls.decisions on {kafka} (Ctrl-C to stop)")
    from callplane_client.cli.decisions import follow

    try:
        asyncio.run(
            follow(runtime(ctx), count=count, from_beginning=from_beginning, as_json=as_json)
        )
    except KeyboardInterrupt:
        return
    except OSError as exc:
        raise CliError(f"cannot reach Kafka at {kafka}: {exc}") from None


@app.command()
def trace(
    ctx: typer.Context,
    call_id: Annotated[str, typer.Argument(help="The callId.")],
    wait: Annotated[float, typer.Option(help="Seconds to wait for the spans.", min=0)] = 15.0,
    as_json: JsonFlag = False,
) -> None:
    """The spans of a call's trace, from Jaeger.  Example: callplane calls trace <callId>"""
    state = runtime(ctx)
    trace_id = _logged(state, call_id, wait).get("traceId")
    if not trace_id:
        raise CliError(f"call {call_id} was logged without a trace id")
    rows = _jaeger_spans(state, trace_id, wait)
    note(f"trace {trace_id}: {state.trace_url(trace_id)}")
    emit(
        rows,
        as_json=as_json,
        columns=("atMs", "service", "operation", "durationMs"),
        title=f"trace {trace_id}",
    )


def _jaeger_spans(state: Runtime, trace_id: str, wait: float) -> list[dict[str, Any]]:
    url = f"{state.config.jaeger.rstrip('/')}/api/traces/{trace_id}"
    deadline = time.monotonic() + wait
    with httpx.Client(transport=state.transport, timeout=10) as jaeger:
        while True:
            try:
                reply = jaeger.get(url)
            except httpx.HTTPError as exc:
                raise CliError(f"cannot reach Jaeger at {state.config.jaeger}: {exc}") from None
            data = reply.json().get("data") if reply.is_success else None
            if data:
                return spans(data[0])
            if time.monotonic() >= deadline:
                raise CliError(f"trace {trace_id} not in Jaeger after {wait:.0f}s")
            time.sleep(0.5)  # spans are exported in batches


def spans(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """Jaeger's trace as rows in start order; `atMs` is the offset from the first span."""
    services = {k: v.get("serviceName") for k, v in trace.get("processes", {}).items()}
    raw = sorted(trace.get("spans", []), key=lambda span: span.get("startTime", 0))
    start = raw[0].get("startTime", 0) if raw else 0
    return [
        {
            "atMs": round((span.get("startTime", 0) - start) / 1000, 2),
            "service": services.get(span.get("processID")),
            "operation": span.get("operationName"),
            "durationMs": round(span.get("duration", 0) / 1000, 2),
            "spanId": span.get("spanID"),
        }
        for span in raw
    ]
