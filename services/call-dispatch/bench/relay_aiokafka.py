# ruff: noqa: INP001 - a script, not a package
"""The baseline: consume, publish unchanged, commit after the acks, with call-dispatch's client
settings and the same batched publishing. Whatever latency this shows is the floor of any
decider on this broker and client.

    python relay.py <bootstrap> <in-topic> <out-topic> <group>
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka_outbound import Outbound


async def relay(bootstrap: str, source: str, target: str, group: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0
    )
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=5,
        max_poll_records=500,
    )
    await producer.start()
    outbound = Outbound(producer)
    await outbound.prepare([target])
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            if not batches:
                continue
            out = outbound.batch()
            for records in batches.values():
                for r in records:
                    out.add(target, r.key, r.value, r.headers)
            await asyncio.gather(*await out.send())
            await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batches.items()})
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(relay(*sys.argv[1:5]))
