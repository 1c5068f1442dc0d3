# ruff: noqa: INP001, T201, S603, PLR0917 - a benchmark script that prints
"""`make sip-bench`: SIPp through Kamailio at 50 and 200 calls/s for 60 s, callplane deciding
(UDP 5060: INVITE → adapter → Kafka → call-dispatch → adapter → relay) against Kamailio
forwarding statically (UDP 5062, same proxy, same callee), in one run.

Each call: INVITE, 180, 200, ACK, 1 s of talk, BYE. Post-dial delay is SIPp's response time 1:
INVITE sent → first 180 received at the caller. Reports per target and rate: calls attempted,
successful, failed, PDD p50/p90/p99/max, and the adapter's decision timeouts in the run.
Writes JSON (default `.cache/bench/sip-edge.json`). `--seconds` and `--rates` shorten a run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.e2e.journey import admin_client, new_customer  # noqa: E402
from tests.e2e.sip import sipp  # noqa: E402
from tests.e2e.sip.voice import set_action, until_decided_as  # noqa: E402

BASE_URL = "http://127.0.0.1:8080"
ADAPTER_METRICS = "http://127.0.0.1:8110/metrics"
# Not one of the test prefixes of deploy/local/services.env: the default gateway, 127.0.0.1:5089,
# which is also where Kamailio's static listener forwards.
DESTINATION = "41793026799"
CALLER = "+41791234567"


@dataclass
class Figures:
    target: str
    rate: int
    seconds: int
    attempted: int
    successful: int
    failed: int
    pdd_samples: int
    pdd_p50_ms: float
    pdd_p90_ms: float
    pdd_p99_ms: float
    pdd_max_ms: float
    decision_timeouts: float


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def decision_timeouts() -> float:
    """The adapter's timeout counter; NaN when it is too busy to answer within 30 s."""
    try:
        text = httpx.get(ADAPTER_METRICS, timeout=30).text
    except httpx.HTTPError:
        return float("nan")
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("callplane_sip_edge_decision_timeouts_total{")
    )


def run_sipp(work: Path, target: str, proxy: str, number: str, rate: int, seconds: int) -> Figures:
    run_dir = work / f"{target}-{rate}"
    run_dir.mkdir()
    calls = rate * seconds
    timeouts_before = decision_timeouts()
    argv = [sipp.sipp(), "-sf", str(sipp.SCENARIOS / "caller.xml"), "-s", number]
    argv += ["-key", "caller", CALLER, "-i", "127.0.0.1", "-p", str(sipp.CALLER_PORT)]
    argv += ["-r", str(rate), "-m", str(calls), "-l", str(rate * 10), "-d", "1000"]
    argv += ["-nostdin", "-recv_timeout", "10000", "-trace_rtt", "-rtt_freq", "1", "-trace_err"]
    argv += ["-trace_stat", "-stf", str(run_dir / "stat.csv"), "-fd", "1", proxy]
    completed = subprocess.run(argv, cwd=run_dir, capture_output=True, text=True, check=False)
    stats = list(csv.DictReader((run_dir / "stat.csv").open(), delimiter=";"))[-1]
    pdd = [
        float(row["response_time_ms"])
        for path in run_dir.glob("*_rtt.csv")
        for row in csv.DictReader(path.open(), delimiter=";")
        if row.get("rtd_no", "").strip() == "1"
    ]
    figures = Figures(
        target=target,
        rate=rate,
        seconds=seconds,
        attempted=int(stats["OutgoingCall(C)"]),
        successful=int(stats["SuccessfulCall(C)"]),
        failed=int(stats["FailedCall(C)"]),
        pdd_samples=len(pdd),
        pdd_p50_ms=round(statistics.median(pdd), 2) if pdd else float("nan"),
        pdd_p90_ms=round(percentile(pdd, 0.90), 2),
        pdd_p99_ms=round(percentile(pdd, 0.99), 2),
        pdd_max_ms=round(max(pdd), 2) if pdd else float("nan"),
        decision_timeouts=decision_timeouts() - timeouts_before,
    )
    if completed.returncode not in {0, 1}:
        print(completed.stdout[-2000:], completed.stderr[-2000:])
    return figures


async def leased_number() -> str:
    async with admin_client(BASE_URL) as admin:
        customer = await new_customer(BASE_URL, admin)
        number_key, number = await customer.lease_fresh_number(admin)
        await set_action(
            customer, number_key, {"type": "FORWARD_TO_PSTN", "pstnNumber": DESTINATION}
        )
        await until_decided_as("127.0.0.1:9092", number, "forward")
        await customer.api.aclose()
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--out", type=Path, default=REPO / ".cache/bench/sip-edge.json")
    args = parser.parse_args()
    number = asyncio.run(leased_number())
    work = Path(tempfile.mkdtemp(prefix="sip-bench-"))
    callee = sipp.start_callee(work, sipp.DEFAULT_CARRIER, trace_messages=False)
    results: list[Figures] = []
    try:
        for rate in args.rates:
            for target, proxy in (("static", sipp.KAMAILIO_STATIC), ("callplane", sipp.KAMAILIO)):
                print(f"{target:<10} {rate:>4} calls/s for {args.seconds} s ...", flush=True)
                results.append(run_sipp(work, target, proxy, number, rate, args.seconds))
    finally:
        callee.stop()
    print(
        f"\n{'target':<10} {'rate':>5} {'calls':>7} {'ok':>7} {'failed':>6} "
        f"{'PDD p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'timeouts':>8}"
    )
    for f in results:
        print(
            f"{f.target:<10} {f.rate:>5} {f.attempted:>7} {f.successful:>7} {f.failed:>6} "
            f"{f.pdd_p50_ms:>7.1f}ms {f.pdd_p90_ms:>6.1f}ms {f.pdd_p99_ms:>6.1f}ms "
            f"{f.pdd_max_ms:>6.1f}ms {f.decision_timeouts:>8.0f}"
        )
    for rate in args.rates:
        by = {f.target: f for f in results if f.rate == rate}
        added50 = by["callplane"].pdd_p50_ms - by["static"].pdd_p50_ms
        added99 = by["callplane"].pdd_p99_ms - by["static"].pdd_p99_ms
        print(f"callplane adds at {rate} calls/s: p50 {added50:+.1f} ms, p99 {added99:+.1f} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(f) for f in results], indent=2))
    print(f"SIPp files in {work}; figures in {args.out}")


if __name__ == "__main__":
    main()
