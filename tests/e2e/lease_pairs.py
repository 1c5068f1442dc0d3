"""Lease a number and set its voice action at once, N times back to back, through nginx: the
read-your-writes scenario of issue 14 (shared by the e2e test and the benchmark)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import httpx
import phonenumbers

from tests.support import unique

IMPORT_CHUNK = 100
CSV_HEADER = (
    "number,country,type,capabilities,setupPrice,initialMonthPrice,pricePerMonth,currency,network"
)


def fresh_numbers(count: int) -> list[str]:
    """Valid German numbers no earlier run has imported (random 8-digit Berlin suffixes)."""
    found: set[str] = set()
    while len(found) < count:
        candidate = f"+4930{random.randint(10_000_000, 99_999_999)}"  # noqa: S311 - not secret
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            found.add(candidate)
    return sorted(found)


@dataclass
class PairResults:
    pairs: int = 0
    voice_404: int = 0
    other_failures: list[str] = field(default_factory=list)
    setup_ms: list[float] = field(default_factory=list)


async def prepare(
    admin: httpx.AsyncClient, base_url: str, count: int
) -> tuple[httpx.AsyncClient, list[str]]:
    """`count` fresh numbers in the pool (0.01 each) and an API client of an account that can
    lease them all."""
    numbers = fresh_numbers(count)
    rows = [f"{n},DE,VIRTUAL_LONG_NUMBER,VOICE|SMS,0.00,0.01,0.01,EUR,ryw" for n in numbers]
    # In chunks: one import validates every row, which outlasts nginx's 60 s on a busy machine.
    for start in range(0, len(rows), IMPORT_CHUNK):
        imported = await admin.post(
            "/admin/1/numbers/import",
            content="\n".join([CSV_HEADER, *rows[start : start + IMPORT_CHUNK]]) + "\n",
            headers={"Content-Type": "text/csv"},
            timeout=120,
        )
        imported.raise_for_status()
    created = await admin.post(
        "/admin/1/accounts",
        json={"name": unique("ryw"), "currency": "EUR", "balance": count},
    )
    created.raise_for_status()
    account_id = created.json()["accountId"]
    issued = await admin.post(f"/admin/1/accounts/{account_id}/api-keys")
    issued.raise_for_status()
    api = httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"App {issued.json()['apiKey']}"},
        timeout=30,
    )
    return api, numbers


async def run_pairs(api: httpx.AsyncClient, numbers: list[str]) -> PairResults:
    results = PairResults()
    action = {"action": {"type": "FORWARD_TO_PSTN", "pstnNumber": "+41445550100"}}
    for number in numbers:
        leased = await api.post("/numbers/1/numbers", json={"number": number})
        if leased.status_code != 200:
            results.other_failures.append(f"lease {number}: {leased.status_code} {leased.text}")
            continue
        key = leased.json()["numberKey"]
        began = time.perf_counter()
        setup = await api.post(f"/numbers/2/numbers/{key}/voice", json=action)
        results.setup_ms.append((time.perf_counter() - began) * 1000)
        results.pairs += 1
        if setup.status_code == 404:
            results.voice_404 += 1
        elif setup.status_code != 200:
            results.other_failures.append(f"voice {key}: {setup.status_code} {setup.text}")
    return results
