"""Each service, started from its composition root, becomes ready and drains on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.endpoints import Endpoints
from tests.support import REPO_ROOT, eventually, unique

pytestmark = pytest.mark.integration

SERVICES = sorted(yaml.safe_load((REPO_ROOT / "deploy/routes.yaml").read_text())["services"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def dev_settings() -> dict[str, str]:
    lines = (REPO_ROOT / "deploy/local/services.env").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if "=" in line and not line.startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def start_service(service: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", service.replace("-", "_")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.parametrize("service", SERVICES)
async def test_ready_then_clean_exit_on_sigterm(
    endpoints: Endpoints, service: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        **dev_settings(),
        "HTTP_PORT": str(port),
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka,
        "MONGODB_URI": endpoints.mongodb_uri,
        "OTEL_TRACES_EXPORTER": "none",
        # Its own consumer group: joining the running service's group would take partitions
        # from it (and rebalance it twice) while other tests are waiting for its decisions.
        "CONSUMER_GROUP": unique(f"{service}-lifecycle"),
    }
    log = tmp_path / f"{service}.log"
    proc = start_service(service, env, log)
    try:

        async def ready() -> bool | None:
            if proc.poll() is not None:
                raise AssertionError(f"{service} exited early:\n{log.read_text()[-3000:]}")
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    response = await client.get(f"http://127.0.0.1:{port}/readyz")
            except httpx.HTTPError:
                return None
            checks.append(response.text)
            return response.status_code == 200 or None

        checks: list[str] = []
        try:
            await eventually(ready, timeout=120, interval=0.25, what=f"{service} ready")
        except AssertionError as slow:
            last = checks[-1] if checks else "no answer"
            output = log.read_text()[-3000:]
            raise AssertionError(f"{slow}; last /readyz: {last}\n{output}") from None
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text()
    assert code == 0, output[-3000:]
    assert "Application shutdown complete" in output
