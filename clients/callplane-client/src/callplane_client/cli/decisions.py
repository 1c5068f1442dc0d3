"""Reading decisions: a one-screen summary of a decision (or a log entry), and the live tail."""

from __future__ import annotations

import json
from typing import Any

import typer

from callplane_client.cli.output import console, want_json
from callplane_client.cli.runtime import Runtime

_DETAIL_KEYS = (
    "destination",
    "callerId",
    "reason",
    "detail",
    "routeId",
    "scenarioKey",
    "callsConfigurationId",
    "configKey",
    "fileUrl",
)


def instruction_text(instruction: dict[str, Any] | None) -> str:
    if not instruction:
        return "-"
    details = [f"{k}={instruction[k]}" for k in _DETAIL_KEYS if instruction.get(k)]
    if instruction.get("destinations"):
        first = instruction["destinations"][0].get("value", {})
        details.append(f"first={first.get('phoneNumber') or first.get('url') or first}")
    return " ".join([instruction.get("kind", "?"), *details])


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """A decision, or a decision log entry (whose decision is nested), as a short record."""
    decision = record.get("decision") or record
    row = {
        "callId": record.get("callId"),
        "number": record.get("number"),
        "outcome": record.get("outcome", "decided"),
        "decision": instruction_text(decision.get("instruction"))
        if record.get("outcome") != "handed_to_masking"
        else "handed to number-masking",
        "actionType": record.get("actionType"),
        "path": decision.get("path"),
        "pathReason": decision.get("pathReason"),
        "decidedBy": decision.get("decidedBy"),
        "latencyMs": record.get("latencyMs"),
        "traceId": record.get("traceId"),
        "trace": record.get("traceUrl"),
    }
    return {name: value for name, value in row.items() if value is not None}


def trace_id(headers: list[tuple[str, bytes]] | None) -> str | None:
    for name, value in headers or []:
        if name == "traceparent":
            parts = value.decode(errors="replace").split("-")
            return parts[1] if len(parts) == 4 else None  # noqa: PLR2004 - version-trace-span-flags
    return None


async def follow(state: Runtime, *, count: int | None, from_beginning: bool, as_json: bool) -> None:
    from aiokafka import AIOKafkaConsumer

    from callplane_shared.topics import CALLS_DECISIONS

    # No consumer group: nothing is committed, and every tail sees every decision.
    consumer = AIOKafkaConsumer(
        CALLS_DECISIONS.name,
        bootstrap_servers=state.config.kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    try:
        seen = 0
        out = console()
        async for record in consumer:
            if record.value is None:
                continue
            decision = json.loads(record.value)
            found = trace_id(record.headers)
            if found:
                decision |= {"traceId": found, "traceUrl": state.trace_url(found)}
            if want_json(as_json):
                typer.echo(json.dumps(decision))
            else:
                row = summary(decision)
                out.print(
                    f"{decision.get('decidedAt', '')}  {row.get('callId')}  {row.get('number')}  "
                    f"{row['decision']}  path={row.get('path')}  {row.get('trace') or ''}"
                )
            seen += 1
            if count is not None and seen >= count:
                return
    finally:
        await consumer.stop()
