# ruff: noqa: INP001, T201 - a benchmark script that prints its figures
"""The console's own share of a page's render time for an account with 1,000 numbers: the
console app in this process, its public API answered at once from memory (the API's shapes,
1,000 numbers with actions), so the figure is the console's work alone (templates, JSON, its
API calls' count), free of the stack's load. `render.py` measures the whole path through nginx.

Run: uv run --frozen python services/console/bench/render_console.py [--numbers 1000] [--n 50]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
from typing import Any

import httpx
from page_timing import time_page
from pydantic import SecretStr

from console.main import create_app
from console.sessions import Principal, Role
from console.settings import Settings
from console.web import COOKIE

PAGES = ("/console/overview", "/console/numbers", "/console/numbers?listed=19")
ACTION = {"type": "FORWARD_TO_PSTN", "pstnNumber": "+41445550100"}


def numbers(count: int) -> list[dict[str, Any]]:
    return [
        {
            "numberKey": f"K{i:08d}",
            "number": f"4930{10_000_000 + i}",
            "country": "DE",
            "countryName": "Germany",
            "type": "VIRTUAL_LONG_NUMBER",
            "capabilities": ["VOICE"],
            "price": {
                "pricePerMonth": 0.01,
                "setupPrice": 0.01,
                "initialMonthPrice": 0.01,
                "currency": "EUR",
            },
            "voiceSetup": {"action": ACTION} if i % 2 else None,
        }
        for i in range(count)
    ]


def api(owned: list[dict[str, Any]]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        path, params = request.url.path, request.url.params
        if path == "/numbers/1/numbers":
            limit, page = int(params.get("limit", 50)), int(params.get("page", 0))
            body = {"numbers": owned[page * limit : (page + 1) * limit], "numberCount": len(owned)}
            return httpx.Response(200, content=json.dumps(body))
        if path == "/account/1/balance":
            return httpx.Response(200, json={"balance": 100, "currency": "EUR"})
        return httpx.Response(200, json={"payments": [], "results": []})

    return httpx.MockTransport(answer)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    app = create_app(Settings(console_cookie_secure=False, console_session_key=key))
    console = app.state.console
    console.api._http = httpx.AsyncClient(  # noqa: SLF001 - the API swapped for its answers
        base_url="http://api.test", transport=api(numbers(args.numbers))
    )
    session = console.sessions.open(Principal(Role.CUSTOMER, SecretStr("bench"), "bench"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as browser:
        browser.cookies.set(COOKIE, console.sessions.seal(session), path="/console/")
        print(f"console alone, {args.numbers} numbers, {args.n} sequential requests per page")
        for page in PAGES:
            await time_page(browser, page, args.n)


if __name__ == "__main__":
    asyncio.run(main())
