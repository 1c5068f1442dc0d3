# ruff: noqa: INP001, S101, T201, PLR2004 - a benchmark script that prints its figures
"""Server render time of the console's pages for an account with 1,000 numbers.

Measured through nginx as a browser would ask (a signed-in session cookie), against the running
stack (`make up`): p50/p95/max of each page over N sequential requests. Prints figures; asserts
nothing. Run: uv run --frozen python services/console/bench/render.py [--numbers 1000] [--n 50]

Leasing 1,000 numbers takes minutes on a loaded machine, so the bench account's key is kept in
`.cache/bench/console-render.key` (mode 0600, the local stack's throwaway account, never
printed) and `--reuse` measures that account again, e.g. after a change to the console.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import uuid
from pathlib import Path

import httpx
from page_timing import time_page

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.e2e.lease_pairs import fresh_numbers

BASE = "http://127.0.0.1:8080"
ROOT = Path(__file__).resolve().parents[3]
ENV = ROOT / "deploy/local/services.env"
KEY_FILE = ROOT / ".cache/bench/console-render.key"
PAGES = (
    "/console/overview",
    "/console/numbers",
    "/console/calls",
    "/console/routes",
    "/console/ivr",
    "/console/calls-configurations",
    "/console/masking",
)


def admin_token() -> str:
    for line in ENV.read_text().splitlines():
        if line.startswith("ADMIN_TOKEN="):
            return line.split("=", 1)[1].strip()
    raise SystemExit("ADMIN_TOKEN missing from deploy/local/services.env")


async def account_with_numbers(admin: httpx.AsyncClient, count: int) -> str:
    created = await admin.post(
        "/admin/1/accounts",
        json={"name": f"bench-{uuid.uuid4().hex[:8]}", "currency": "EUR", "balance": 10 * count},
    )
    account_id = created.json()["accountId"]
    key = (await admin.post(f"/admin/1/accounts/{account_id}/api-keys")).json()["apiKey"]
    # Valid numbers only: the pool refuses an invalid row, and leasing it answers 409.
    numbers = fresh_numbers(count)
    header = "number,country,type,capabilities,setupPrice,initialMonthPrice,pricePerMonth,"
    for start in range(0, count, 100):  # small imports: each stays well inside nginx's timeout
        rows = "".join(
            f"{n},DE,VIRTUAL_LONG_NUMBER,VOICE,0.01,0.01,0.01,EUR,bench\n"
            for n in numbers[start : start + 100]
        )
        imported = await admin.post(
            "/admin/1/numbers/import",
            content=f"{header}currency,network\n{rows}",
            headers={"Content-Type": "text/csv"},
        )
        imported.raise_for_status()
    api = httpx.AsyncClient(base_url=BASE, headers={"Authorization": f"App {key}"}, timeout=60)
    for _ in range(100):  # the key reaches every service through Kafka
        if (await api.get("/account/1/balance")).status_code == 200:
            break
        await asyncio.sleep(0.2)
    gate = asyncio.Semaphore(2)  # a shared two-core machine: the store answers 503 past this

    leased = 0

    async def lease(number: str) -> None:
        nonlocal leased
        async with gate:
            for _ in range(90):  # bounded retries of what the API says to try again
                reply = await api.post("/numbers/1/numbers", json={"number": number})
                # 503: the store is busy; 409 "…was undone…Try again.": a purchase that
                # outlasted its claim on a loaded machine (refunded).
                if reply.status_code != 503 and "Try again" not in reply.text:
                    break
                await asyncio.sleep(2)
            if reply.status_code != 200:
                raise SystemExit(f"lease {number}: {reply.status_code} {reply.text}")
            leased += 1
            if leased % 100 == 0:
                print(f"  {leased} numbers leased", file=sys.stderr)

    await asyncio.gather(*(lease(n) for n in numbers))
    await api.aclose()
    return key


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="the account of the last run")
    args = parser.parse_args()
    if args.reuse and KEY_FILE.exists():
        key = KEY_FILE.read_text().strip()
    else:
        headers = {"Authorization": f"Admin {admin_token()}"}
        async with httpx.AsyncClient(base_url=BASE, headers=headers, timeout=120) as admin:
            key = await account_with_numbers(admin, args.numbers)
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        KEY_FILE.touch(mode=0o600)
        KEY_FILE.write_text(key)
    async with httpx.AsyncClient(base_url=BASE, timeout=60) as browser:
        form = await browser.get("/console/sign-in")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found is not None
        await browser.post("/console/sign-in", data={"csrf": found.group(1), "key": key})
        numbers = await browser.get(
            "/numbers/1/numbers", params={"limit": 1}, headers={"Authorization": f"App {key}"}
        )
        count = numbers.json()["numberCount"]
        print(f"{count} numbers, {args.n} sequential requests per page")
        details = f"/console/numbers/{numbers.json()['numbers'][0]['numberKey']}"
        for page in (*PAGES, details):
            await time_page(browser, page, args.n)


if __name__ == "__main__":
    asyncio.run(main())
