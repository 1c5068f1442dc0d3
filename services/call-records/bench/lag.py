# ruff: noqa: INP001, T201 - a benchmark script
"""How fast call-records turns events into records, against the running stack (`make up`).

Publishes N whole calls' worth of events (by default only their decisions; `--whole` adds each
call's inbound call and RINGING, ESTABLISHED, FINISHED statuses) to the real topics, as fast as
the producer takes them, then polls MongoDB until every call has a record (with `--whole`: a
FINISHED state) and prints records/s from the first send to the last record seen.

    uv run --frozen python services/call-records/bench/lag.py --calls 2000
    uv run --frozen python services/call-records/bench/lag.py --calls 1000 --whole

Decisions are rejects (`NO_ACTION`) for a bench-only number, so nothing is charged and no
account is touched. Records use unique callIds per run (`bench-<run>-<n>`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from callplane_shared.events import (
    CallDecision,
    CallState,
    CallStatus,
    Event,
    InboundCall,
    RejectInstruction,
    RejectReason,
    utc_now,
)
from callplane_shared.topics import CALLS_DECISIONS, CALLS_INBOUND, CALLS_STATUS

NUMBER = "+41445559999"
CALLER = "+41791230000"


def events_of(call_id: str, *, whole: bool) -> list[tuple[str, Event]]:
    now = utc_now()
    decision = CallDecision(
        call_id=call_id,
        number=NUMBER,
        instruction=RejectInstruction(reason=RejectReason.NO_ACTION),
        received_at=now,
        decided_at=now,
        decided_by="bench",
    )
    if not whole:
        return [(CALLS_DECISIONS.name, decision)]
    common = {"call_id": call_id, "from_": CALLER, "to": NUMBER}
    answered = now + timedelta(seconds=2)
    return [
        (
            CALLS_INBOUND.name,
            InboundCall(call_id=call_id, from_=CALLER, to=NUMBER, received_at=now),
        ),
        (CALLS_DECISIONS.name, decision),
        (CALLS_STATUS.name, CallStatus(state=CallState.RINGING, ringing_at=now, **common)),
        (
            CALLS_STATUS.name,
            CallStatus(state=CallState.ESTABLISHED, answered_at=answered, **common),
        ),
        (
            CALLS_STATUS.name,
            CallStatus(
                state=CallState.FINISHED,
                answered_at=answered,
                ended_at=answered + timedelta(seconds=30),
                duration_seconds=30,
                **common,
            ),
        ),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--whole", action="store_true", help="inbound + decision + 3 statuses")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    kafka = os.environ.get("CALLPLANE_TEST_KAFKA", "127.0.0.1:9092")
    mongo_uri = os.environ.get("CALLPLANE_TEST_MONGODB", "mongodb://127.0.0.1:27017")
    run = uuid.uuid4().hex[:8]
    ids = [f"bench-{run}-{n}" for n in range(args.calls)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", linger_ms=5)
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_uri)
    calls = mongo["callplane"]["records_calls"]
    await producer.start()
    try:
        started = time.monotonic()
        sent = [
            await producer.send(
                topic, event.model_dump_json(by_alias=True).encode(), key=cid.encode()
            )
            for cid in ids
            for topic, event in events_of(cid, whole=args.whole)
        ]
        await asyncio.gather(*sent)
        published = time.monotonic() - started
        done: dict[str, object] = {"_id": {"$regex": f"^bench-{run}-"}}
        if args.whole:
            done["states.FINISHED"] = {"$exists": True}
        else:
            done["decisions"] = {"$exists": True}
        count = 0
        while time.monotonic() - started < args.timeout:
            count = await calls.count_documents(done)
            if count >= args.calls:
                break
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
    finally:
        await producer.stop()
        await mongo.close()
    events = len(events_of("x", whole=args.whole)) * args.calls
    print(
        f"calls={args.calls} events={events} published_in={published:.1f}s "
        f"recorded={count} in {elapsed:.1f}s -> {count / elapsed:.0f} records/s "
        f"({events * count / args.calls / elapsed:.0f} events/s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
