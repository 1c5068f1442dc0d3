# ruff: noqa: INP001, ASYNC110 - a throwaway-grade profiling script, kept for reuse
"""Profile the dispatcher in-process: pre-fill a topic with calls, drain it under cProfile.

    python profile_hot_path.py [calls] [--profile]

--profile runs cProfile (slows everything ~2x).

Prints calls/s and the top functions by cumulative time: what `make bench` figures hide.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from call_dispatch.dispatcher import Dispatcher
from call_dispatch.settings import Settings
from call_dispatch.view import DispatchView
from callplane_shared.events import VoiceActionSet
from callplane_shared.supervision import Supervisor
from callplane_shared.topics import TopicSpec, ensure_topics
from callplane_shared.voice import ForwardToPstn


async def main(count: int, profile: bool) -> None:
    run = f"prof-{uuid.uuid4().hex[:8]}"
    specs = tuple(TopicSpec(f"{run}.{n}", 6, "delete", "callId", "profile") for n in ("in", "out"))
    bootstrap = "127.0.0.1:9092"
    await ensure_topics(bootstrap, (*specs, specs[0].dlq))
    settings = Settings(
        calls_inbound_topic=specs[0].name, calls_decisions_topic=specs[1].name, consumer_group=run
    )
    view = DispatchView()
    numbers = [f"+4179{i:07d}" for i in range(1000)]
    for n in numbers:
        view.set_action(
            VoiceActionSet(
                number=n,
                number_key="0" * 32,
                account_id="a",
                voice_capable=True,
                version=1,
                action=ForwardToPstn(pstn_number="+41445550100"),
            )
        )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    sends = []
    # Stamped now: calls older than MAX_CALL_AGE_SECONDS would be skipped, not decided.
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for i in range(count):
        value = (
            f'{{"callId":"c{i}","from":"+41445550100","to":"{numbers[i % 1000]}",'
            f'"receivedAt":"{at}"}}'
        )
        sends.append(await producer.send(specs[0].name, value.encode(), key=f"c{i}".encode()))
    await asyncio.gather(*sends)
    await producer.stop()
    dispatcher = Dispatcher(settings, view, Supervisor("profile"))
    profiler = cProfile.Profile()
    await dispatcher.start()
    began = time.perf_counter()
    if profile:
        profiler.enable()
    while dispatcher.decided < count:
        await asyncio.sleep(0.01)
    profiler.disable()
    seconds = time.perf_counter() - began
    await dispatcher.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.delete_topics([s.name for s in (*specs, specs[0].dlq)])
    await admin.close()
    sys.stdout.write(f"{count} calls in {seconds:.2f}s = {count / seconds:.0f} calls/s\n")
    if profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20000
    asyncio.run(main(count, "--profile" in sys.argv))
