"""`make demo`'s media edge for the numbers whose calls the customer hears about afterwards: a
call to the subscription number (answered, then hung up: CALL_RECEIVED, CALL_ESTABLISHED,
CALL_FINISHED at the customer's subscription) and a call to the IVR number (the caller presses 1,
then the run ends: signed IVR notifications at the scenario's notifyUrl). Each call is published
as the edge would, with its decision and its status events on `calls.status`.

    uv run python deploy/demo/edge_calls.py --subscription +4930... --ivr +4930...
"""
# ruff: noqa: INP001, T201 - a script that prints, not a package

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

from callplane_client.publisher import CallPublisher
from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    InboundCall,
    IvrEventType,
    IvrInstruction,
    IvrRunEvent,
)

CALLER = "+41445550109"


def _call(number: str) -> InboundCall:
    call_id = f"demo-{uuid.uuid4().hex[:16]}"
    return InboundCall(call_id=call_id, from_=CALLER, to=number, received_at=datetime.now(UTC))


def _status(call: InboundCall, state: CallState, **fields: object) -> CallStatus:
    return CallStatus(call_id=call.call_id, state=state, from_=CALLER, to=call.to, **fields)


def _print(call: InboundCall, decision: CallDecision, base_url: str) -> None:
    instruction = decision.instruction.model_dump(by_alias=True, exclude_none=True)
    instruction.pop("script", None)  # long; the console shows it
    print(f"-- {CALLER} calls {call.to}: {instruction}")
    print(f"   console: {base_url}/console/calls/{call.call_id}")


async def subscription_call(edge: CallPublisher, number: str, base_url: str) -> None:
    call = _call(number)
    decision = await edge.decide(call, timeout=15)
    _print(call, decision, base_url)
    answered = datetime.now(UTC)
    ended = answered + timedelta(seconds=42)
    await edge.publish_status(_status(call, CallState.RINGING, ringing_at=answered))
    await edge.publish_status(_status(call, CallState.ESTABLISHED, answered_at=answered))
    await edge.publish_status(
        _status(
            call,
            CallState.FINISHED,
            answered_at=answered,
            ended_at=ended,
            duration_seconds=42,
            hangup_cause="NORMAL_CLEARING",
        )
    )


async def ivr_call(edge: CallPublisher, number: str, base_url: str) -> None:
    call = _call(number)
    decision = await edge.decide(call, timeout=15)
    _print(call, decision, base_url)
    ivr = decision.instruction
    if not isinstance(ivr, IvrInstruction) or ivr.scenario_version is None:
        print("   (not an IVR decision with its script yet: no notifications)")
        return
    scenario = {"scenario_id": ivr.scenario_id or ivr.scenario_key}
    version = ivr.scenario_version
    answered = datetime.now(UTC)
    await edge.publish_status(_status(call, CallState.ESTABLISHED, answered_at=answered))
    for run in (
        IvrRunEvent(
            type=IvrEventType.DTMF_COLLECTED,
            scenario_version=version,
            action_id=1,
            variable="choice",
            dtmf="1",
            **scenario,
        ),
        IvrRunEvent(
            type=IvrEventType.FINISHED,
            scenario_version=version,
            reason="COMPLETED",
            **scenario,
        ),
    ):
        await edge.publish_status(_status(call, CallState.ESTABLISHED, ivr=run))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscription", required=True, help="E.164 of the subscription number")
    parser.add_argument("--ivr", required=True, help="E.164 of the IVR number")
    parser.add_argument("--kafka", default=os.environ.get("CALLPLANE_KAFKA", "127.0.0.1:9092"))
    args = parser.parse_args()
    base_url = os.environ.get("CALLPLANE_URL", "http://127.0.0.1:8080")
    async with CallPublisher(args.kafka) as edge:
        await subscription_call(edge, args.subscription, base_url)
        await ivr_call(edge, args.ivr, base_url)


if __name__ == "__main__":
    asyncio.run(main())
