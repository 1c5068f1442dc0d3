"""Killing one service of the `make up` stack with SIGKILL and starting it again, for the tests
that prove what survives a crash (kill -9: no shutdown hook runs)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import httpx

from stackctl.layout import Layout
from stackctl.process import read_pid
from tests.support import REPO_ROOT, eventually


def kill_9(service: str) -> None:
    pid = read_pid(Layout.from_env(), service)
    assert pid is not None, f"{service} is not running under `make up`"
    os.killpg(pid, signal.SIGKILL)


async def restart(service: str, base_url: str) -> None:
    # The stack's own start; readiness is then polled here with a bound that suits a loaded
    # machine (joining three consumer groups can take a minute there).
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "deploy/local/stack.py", "restart", service],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        timeout=300,
    )
    async with httpx.AsyncClient(base_url=base_url) as client:

        async def ready() -> bool:
            try:
                reply = await client.get(f"/_services/{service}/readyz")
            except httpx.HTTPError:
                return False
            return reply.status_code == 200

        await eventually(ready, timeout=180, interval=0.5, what=f"{service} ready again")
