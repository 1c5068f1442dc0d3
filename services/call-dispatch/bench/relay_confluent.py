# ruff: noqa: INP001 - a script, not a package
"""The librdkafka floor: call-dispatch's own `KafkaLink` (same client settings), records copied
unchanged, up to as many batches in flight as call-dispatch allows, each batch's offsets
committed in order once its acks are in. Whatever latency this shows is the floor of any decider
on this broker with this client.

    python relay_confluent.py <bootstrap> <in-topic> <out-topic> <group>
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque

from call_dispatch.kafka_link import ACK_POLL_SECONDS, Batch, KafkaLink
from call_dispatch.settings import Settings


async def relay(bootstrap: str, source: str, target: str, group: str) -> None:
    s = Settings()
    link = KafkaLink(
        {"bootstrap.servers": bootstrap},
        topic=source,
        group=group,
        instance_id=None,
        client_id="bench-relay",
        consumer_options={"fetch.wait.max.ms": s.fetch_max_wait_ms},
        producer_options={"linger.ms": s.producer_linger_ms},
    )
    link.start()
    loop = asyncio.get_running_loop()
    in_flight: deque[Batch] = deque()
    while True:
        while len(in_flight) >= s.batches_in_flight and not in_flight[0].acked.done():
            await asyncio.wait([in_flight[0].acked], timeout=ACK_POLL_SECONDS)
            link.serve_acks()
        records = await link.fetch(s.batch_max_records)
        link.serve_acks()
        offsets: dict[tuple[str, int], int] = {}
        while in_flight and in_flight[0].acked.done():
            in_flight[0].acked.result()  # a failed publish ends the relay: it is a baseline
            offsets |= in_flight.popleft().next
        if offsets:
            link.commit(offsets)
        if records:
            batch = Batch(loop)
            for r in records:
                link.produce(batch, target, r.key or b"", r.value or b"", r.headers)
                batch.next[r.topic, r.partition] = r.offset + 1
            batch.seal(len(records))
            in_flight.append(batch)


if __name__ == "__main__":
    asyncio.run(relay(*sys.argv[1:5]))
