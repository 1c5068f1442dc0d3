# ruff: noqa: INP001, S603, ASYNC221, ASYNC210, PLR2004, PLR0917, PT018, S101 - a benchmark script
"""`make bench`: the floor of every layer and call-dispatch on it, in one run, one table.

1. Kafka's own end-to-end latency: `org.apache.kafka.tools.EndToEndLatency` (Java client, from the
   kafka-tools jar that Maven resolves like the broker's), acks=all, one record at a time.
2. Own topics per run (auto-create is off); `--view-numbers` numbers published to the run's
   `voice.actions`, replayed by the service's view code here (the rebuild time), then a
   call-dispatch process started on those topics.
3. Two relays (consume, publish unchanged, commit after the acks): aiokafka (the project's other
   client) and librdkafka through call-dispatch's own `KafkaLink`. They are the floor of any
   decider with that client.
4. For each rate (0 = one call at a time), call-dispatch and both relays with the same generator
   (`loadgen.py`, librdkafka; its CPU is printed so it is seen not to be the bottleneck); then one
   longer row of call-dispatch at `--sustain-rate` for `--sustain-seconds`.
5. number-masking's path (masking.requests → calls.decisions) with an instant customer on
   loopback, against the running system (`make up`), at each of `--masking-rates` (the
   issue's 500/s, and 100/s, a rate one account's share is sized for on this machine).
6. A voice-action change through action-config's API until call-dispatch decides a call with
   it, `--changes` times under `--config-rate` calls/s, against the running system
   (`config_change.py`).
7. The view with `--memory-numbers` numbers in a fresh process (RSS, build time).

Every row carries the target's CPU per call, its RSS and the load average: on a busy machine the
absolute figures mean little, the comparison within the run still does. Writes JSON (default
`.cache/bench/call-dispatch.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import config_change
import httpx
import view_memory
from aiokafka.admin import AIOKafkaAdminClient
from confluent_kafka import Producer
from loadgen import (
    Figures,
    Generator,
    cpu_seconds,
    host_busy_pct,
    host_ticks,
    rss_mib,
    wait_for_quiet_host,
)

from callplane_shared.topics import TopicSpec, ensure_topics

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
LOGS = REPO / ".cache/bench"


def _publish_view(bootstrap: str, topic: str, numbers: list[str]) -> None:
    """`numbers` as `voice.actions` records: `view_memory.record`'s mix of every action type,
    fallbacks and 20,000 accounts, in the shape action-config publishes (envelope included), so
    the rebuild and the in-process figures decode the same records."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20, "partitioner": "murmur2"}
    )
    for i, number in enumerate(numbers):
        _, value = view_memory.record(i, number)
        while True:
            try:
                producer.produce(topic, value=value, key=number.encode())
                break
            except BufferError:  # the local queue is full: let librdkafka send some
                producer.poll(0.1)
    assert producer.flush(120) == 0, "the view's records were not all acknowledged"


async def _replay_view(bootstrap: str, topic: str) -> float:
    """The service's own view code replaying the topic in this process: the rebuild time."""
    from call_dispatch.view import DispatchView
    from callplane_shared.supervision import Supervisor
    from callplane_shared.views import CompactedTopicView

    began = time.perf_counter()
    view = CompactedTopicView(
        {"bootstrap.servers": bootstrap},
        topic,
        DispatchView().apply_action,
        supervisor=Supervisor("bench"),
    )
    await view.start()
    await view.wait_caught_up(600)
    seconds = time.perf_counter() - began
    await view.stop()
    return seconds


def _java_e2e(bootstrap: str, topic: str, records: int) -> dict[str, object]:
    """Kafka's own tool; its latencies are whole milliseconds for the percentiles."""
    sys.path.insert(0, str(REPO / "deploy/local"))
    from stackctl.layout import Layout
    from stackctl.provision import kafka_tools_libs

    libs = kafka_tools_libs(Layout.from_env())
    argv = [shutil.which("java") or "java", "-Xmx256m", "-cp", f"{libs}/*"]
    argv += ["org.apache.kafka.tools.EndToEndLatency", bootstrap, topic, str(records), "all", "200"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    avg = re.search(r"Avg latency: ([\d.]+) ms", result.stdout)
    pcts = re.search(r"50th = (\d+), 99th = (\d+), 99.9th = (\d+)", result.stdout)
    assert avg and pcts, result.stdout[-2000:]
    return {
        "records": records,
        "avg_ms": float(avg.group(1)),
        "p50_ms": int(pcts.group(1)),
        "p99_ms": int(pcts.group(2)),
        "p999_ms": int(pcts.group(3)),
        "load_average": round(os.getloadavg()[0], 1),
    }


async def _ready(proc: subprocess.Popen[bytes], port: int, timeout: float) -> float:
    began = time.perf_counter()
    async with httpx.AsyncClient() as client:
        while time.perf_counter() - began < timeout:
            if proc.poll() is not None:
                raise RuntimeError("call-dispatch exited; see .cache/bench/call-dispatch.log")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return time.perf_counter() - began
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("call-dispatch did not become ready; see .cache/bench/call-dispatch.log")


def _row(
    gen: Generator,
    pid: int,
    target: str,
    topics: tuple[str, str],
    numbers: list[str],
    rate: int,
    seconds: float,
) -> Figures:
    cpu, loop, began = cpu_seconds(pid), cpu_seconds(pid, pid), time.perf_counter()
    host = host_ticks()
    figures = gen.measure(target, *topics, numbers, rate, seconds)
    figures.host_busy_pct = host_busy_pct(host)
    spent = cpu_seconds(pid) - cpu
    figures.cpu_ms_per_call = round(spent * 1000 / max(figures.received, 1), 3)
    loop_spent = cpu_seconds(pid, pid) - loop
    figures.loop_cpu_ms_per_call = round(loop_spent * 1000 / max(figures.received, 1), 3)
    figures.target_cpu_pct = round(spent * 100 / (time.perf_counter() - began), 1)
    figures.rss_mib = round(rss_mib(pid), 1)
    return figures


def _start(argv: list[str], env: dict[str, str], log: str) -> subprocess.Popen[bytes]:
    with (LOGS / log).open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


async def bench(args: argparse.Namespace) -> dict[str, object]:
    bootstrap = args.bootstrap_servers
    run = f"bench-{uuid.uuid4().hex[:8]}"
    names = ("calls", "decisions", "masking", "actions", "routes")
    names += ("relay-a-in", "relay-a-out", "relay-c-in", "relay-c-out", "e2e")
    t = {name: f"{run}.{name}" for name in names}
    specs = [
        TopicSpec(t[n], 6, "delete", "callId", "bench")
        for n in ("calls", "decisions", "masking", *names[5:9])
    ]
    specs += [
        TopicSpec(t["actions"], 6, "compact", "number", "bench"),
        TopicSpec(t["routes"], 3, "compact", "routeId", "bench"),
        TopicSpec(t["e2e"], 1, "delete", "none", "bench"),  # the Java tool wants one partition
    ]
    specs.append(specs[0].dlq)
    await ensure_topics(bootstrap, tuple(specs))
    LOGS.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"run": run, "load_average_start": os.getloadavg()}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        result["kafka_java_e2e"] = await asyncio.to_thread(
            _java_e2e, bootstrap, t["e2e"], args.java_records
        )
        numbers = [f"+4179{i:07d}" for i in range(args.view_numbers)]
        began = time.perf_counter()
        await asyncio.to_thread(_publish_view, bootstrap, t["actions"], numbers)
        publish_s = time.perf_counter() - began
        await asyncio.to_thread(wait_for_quiet_host)
        replay_s = await _replay_view(bootstrap, t["actions"])
        env = {
            **os.environ,
            "HTTP_PORT": str(args.port),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "CONSUMER_GROUP": f"{run}-dispatch",
            "CALLS_INBOUND_TOPIC": t["calls"],
            "CALLS_DECISIONS_TOPIC": t["decisions"],
            "MASKING_REQUESTS_TOPIC": t["masking"],
            "VOICE_ACTIONS_TOPIC": t["actions"],
            "VOICE_ROUTES_TOPIC": t["routes"],
            "OTEL_TRACES_EXPORTER": "none",
        }
        python = sys.executable
        dispatch = _start([python, "-m", "call_dispatch"], env, "call-dispatch.log")
        procs.append(dispatch)
        relays = {
            "relay aiokafka": ("relay_aiokafka.py", t["relay-a-in"], t["relay-a-out"]),
            "relay librdkafka": ("relay_confluent.py", t["relay-c-in"], t["relay-c-out"]),
        }
        relay_procs = {}
        for name, (script, source, sink) in relays.items():
            argv = [python, str(HERE / script), bootstrap, source, sink, f"{run}-{script[:-3]}"]
            relay_procs[name] = _start(argv, dict(os.environ), f"{script[:-3]}.log")
            procs.append(relay_procs[name])
        ready_s = await _ready(dispatch, args.port, 600)
        result["view_from_topic"] = {
            "numbers": args.view_numbers,
            "publish_seconds": round(publish_s, 2),
            "replay_seconds": round(replay_s, 2),
            "process_start_to_ready_seconds": round(ready_s, 2),
            "call_dispatch_rss_mib": round(rss_mib(dispatch.pid), 1),
        }
        targets = {"call-dispatch": (dispatch.pid, (t["calls"], t["decisions"]))}
        for name, (_, source, sink) in relays.items():
            targets[name] = (relay_procs[name].pid, (source, sink))
        # Calls go to the numbers forwarding to the PSTN (every 7th), the direct path of the
        # earlier runs; the others are in the view for its size and its rebuild.
        called = numbers[:: view_memory.ACTION_KINDS]
        rows = await asyncio.to_thread(_rows, bootstrap, targets, called, args)
        result["rows"] = [asdict(r) for r in rows]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.delete_topics([s.name for s in specs])
        await admin.close()
    result["masking"] = [await _masking(args, rate) for rate in args.masking_rates]
    await asyncio.to_thread(wait_for_quiet_host)
    result["config_change"] = await config_change.measure(args)
    memory = subprocess.run(
        [sys.executable, str(HERE / "view_memory.py"), str(args.memory_numbers)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    result["view_in_process"] = json.loads(memory)
    result["load_average_end"] = os.getloadavg()
    return result


def _rows(
    bootstrap: str,
    targets: dict[str, tuple[int, tuple[str, str]]],
    numbers: list[str],
    args: argparse.Namespace,
) -> list[Figures]:
    gen = Generator(bootstrap)
    try:
        # Warm every path (connections, group joins, caches) before measuring.
        for name, (pid, topics) in targets.items():
            _row(gen, pid, name, topics, numbers, 200, 1)
        rows = []
        for rate in args.rates:
            seconds = args.one_at_a_time_calls if rate == 0 else args.seconds
            for name, (pid, topics) in targets.items():
                rows.append(_row(gen, pid, name, topics, numbers, rate, seconds))
        if args.sustain_seconds > 0:
            pid, topics = targets["call-dispatch"]
            row = _row(
                gen, pid, "call-dispatch", topics, numbers, args.sustain_rate, args.sustain_seconds
            )
            row.target = f"call-dispatch {args.sustain_seconds:.0f} s"
            rows.append(row)
        return rows
    finally:
        gen.close()


async def _masking(args: argparse.Namespace, rate: float) -> dict[str, object]:
    """number-masking's own path at `rate`, with the isolation bench's instant
    customer; skipped (and said so) when the system is not up."""
    sys.path.insert(0, str(REPO / "services/number-masking/bench"))
    import isolation

    try:
        ready = httpx.get(f"{args.base_url}/_services/number-masking/readyz", timeout=5)
        ready.raise_for_status()
    except httpx.HTTPError as exc:
        return {"skipped": f"number-masking not ready at {args.base_url} ({exc}): `make up`"}
    pid_file = REPO / ".cache/run/pids/number-masking.pid"
    pid = int(pid_file.read_text().strip()) if pid_file.exists() else None
    cpu = cpu_seconds(pid) if pid else 0.0
    iso_args = argparse.Namespace(
        kafka=args.bootstrap_servers,
        base_url=args.base_url,
        healthy_rate=rate,
        seconds=args.masking_seconds,
    )
    quiet = await asyncio.to_thread(wait_for_quiet_host)
    began, host = time.perf_counter(), host_ticks()
    figures = await isolation.healthy_only(iso_args)
    elapsed = time.perf_counter() - began
    out = asdict(figures)
    out["host_busy_pct"] = host_busy_pct(host)
    out["host_busy_before_pct"] = quiet
    if pid:
        spent = cpu_seconds(pid) - cpu
        out["cpu_ms_per_call"] = round(spent * 1000 / max(figures.decided, 1), 3)
        out["target_cpu_pct"] = round(spent * 100 / elapsed, 1)
        out["rss_mib"] = round(rss_mib(pid), 1)
    out["load_average"] = round(os.getloadavg()[0], 1)
    return out


def _row_line(r: dict[str, Any]) -> str:
    rate = "1by1" if r["rate_offered"] == 0 else f"{r['rate_offered']:.0f}"
    return (
        f"{r['target']:<22}{rate:>7}{r['rate_achieved']:>8.0f}{r['sent']:>7}{r['received']:>7}"
        f"{r['p50_ms']:>10.2f}{r['p95_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['max_ms']:>10.2f}"
        f"{r['cpu_ms_per_call']:>12.3f}{r.get('loop_cpu_ms_per_call', float('nan')):>7.3f}"
        f"{r['target_cpu_pct']:>7.1f}{r['rss_mib']:>8.1f}"
        f"{r['generator_cpu_pct']:>10.1f}{r['load_average']:>6.1f}"
        f"{r.get('host_busy_pct', float('nan')):>7.1f}"
    )


def _masking_lines(m: dict[str, Any]) -> list[str]:
    nan = float("nan")
    if "skipped" in m:
        return [f"{'number-masking':<22} skipped: {m['skipped']}"]
    # Calls the account's share (MASKING_PER_ACCOUNT_CONCURRENCY) turned to the fallback were
    # decided without the customer: the row is the masked path only where primary.
    paths = ", ".join(f"{k} {v}" for k, v in sorted(m.get("paths", {}).items()))
    row = (
        f"{'number-masking instant':<22}{m['rate']:>7.0f}{'':>8}{m['sent']:>7}{m['decided']:>7}"
        f"{m['p50_ms']:>10.2f}{'':>10}{m['p99_ms']:>10.2f}{m['max_ms']:>10.2f}"
        f"{m.get('cpu_ms_per_call', nan):>12.3f}{'':>7}{m.get('target_cpu_pct', nan):>7.1f}"
        f"{m.get('rss_mib', nan):>8.1f}{'':>10}{m['load_average']:>6.1f}"
        f"{m.get('host_busy_pct', nan):>7.1f}"
    )
    share = f"(share full: {m.get('share_full', 0)})"
    before = f"host {m.get('host_busy_before_pct', nan)} % busy just before"
    return [row, f"{'':<22}paths: {paths} {share}; {before}"]


def _print(result: dict[str, object]) -> None:
    head = f"{'layer':<22}{'rate/s':>7}{'achvd/s':>8}{'sent':>7}{'recv':>7}{'p50 ms':>10}"
    head += f"{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'cpu ms/call':>12}{'loop':>7}{'cpu %':>7}"
    head += f"{'RSS MiB':>8}{'gen cpu %':>10}{'load':>6}{'host %':>7}"
    lines = [head, "-" * len(head)]
    e2e = result["kafka_java_e2e"]
    assert isinstance(e2e, dict)
    lines.append(
        f"{'kafka java e2e':<22}{'1by1':>7}{'':>8}{e2e['records']:>7}{e2e['records']:>7}"
        f"{e2e['p50_ms']:>10.2f}{'':>10}{e2e['p99_ms']:>10.2f}{'':>10}"
        f"{'(avg ' + format(e2e['avg_ms'], '.2f') + ' ms)':>42}{e2e['load_average']:>6.1f}"
    )
    rows = result["rows"]
    assert isinstance(rows, list)
    lines += [_row_line(r) for r in rows]
    masking = result["masking"]
    assert isinstance(masking, list)
    lines += [line for m in masking for line in _masking_lines(m)]
    c = result["config_change"]
    assert isinstance(c, dict)
    if "skipped" in c:
        lines.append(f"{'config change→view':<22} skipped: {c['skipped']}")
    else:
        lines.append(_row_line(c))
        stages = ("publish_p50_ms", "publish_p99_ms", "follow_p50_ms", "follow_p99_ms")
        split = ", ".join(f"{k.removesuffix('_ms')} {c[k]} ms" for k in stages if k in c)
        lines.append(f"{'':<22}where it went: {split}")
    lines.append(f"view from topic: {json.dumps(result['view_from_topic'])}")
    lines.append(f"view in process: {json.dumps(result['view_in_process'])}")
    lines.append(
        f"load average (1, 5, 15 min): start {result['load_average_start']}, "
        f"end {result['load_average_end']} on {os.cpu_count()} cores"
    )
    sys.stdout.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--rates", type=int, nargs="+", default=[0, 1000, 5000, 10000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--one-at-a-time-calls", type=int, default=500)
    parser.add_argument("--sustain-rate", type=int, default=10_000)
    parser.add_argument("--sustain-seconds", type=float, default=60.0)
    parser.add_argument("--java-records", type=int, default=2000)
    parser.add_argument("--masking-rates", type=float, nargs="+", default=[100.0, 500.0])
    parser.add_argument("--masking-seconds", type=float, default=10.0)
    config_change.add_arguments(parser)
    parser.add_argument("--view-numbers", type=int, default=1_000_000)
    parser.add_argument("--memory-numbers", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8193)
    parser.add_argument("--out", type=Path, default=REPO / ".cache/bench/call-dispatch.json")
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    _print(result)
    sys.stdout.write(f"JSON: {args.out}\n")


if __name__ == "__main__":
    main()
