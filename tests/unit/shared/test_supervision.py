"""The one supervisor of a process: a task that dies fails /livez and says why (invariant 10)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callplane_shared.health import health_router, supervision_router
from callplane_shared.supervision import Supervisor

pytestmark = pytest.mark.unit


async def _forever() -> None:
    await asyncio.Event().wait()


async def _crash() -> None:
    await asyncio.sleep(0)
    raise RuntimeError("the loop broke")


async def _settle(task: asyncio.Task[None]) -> None:
    await asyncio.wait([task])
    await asyncio.sleep(0)  # done callbacks run on the next loop iteration


async def test_a_task_that_raises_is_reported_dead_with_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor("svc")
    supervisor.start("steady", _forever)
    task = supervisor.start("loop", _crash)
    await _settle(task)
    assert not supervisor.alive
    assert supervisor.died() == {"loop": "RuntimeError: the loop broke"}
    assert any("loop of svc died" in r.getMessage() for r in caplog.records)
    assert supervisor.running("steady")
    await supervisor.stop_all()


async def test_a_loop_that_returns_or_is_cancelled_by_someone_else_is_dead() -> None:
    supervisor = Supervisor("svc")

    async def returns() -> None:
        return

    done = supervisor.start("returns", returns)
    victim = supervisor.start("victim", _forever)
    victim.cancel()
    await _settle(done)
    await _settle(victim)
    assert supervisor.died() == {"returns": "returned", "victim": "cancelled"}


async def test_stopping_on_purpose_and_finished_start_up_work_are_not_deaths() -> None:
    supervisor = Supervisor("svc")

    async def boot() -> None:
        await asyncio.sleep(0)

    boot_task = supervisor.start("boot", boot, finishes=True)
    supervisor.start("loop", _forever)
    await _settle(boot_task)
    await supervisor.stop("loop")
    assert supervisor.alive
    assert not supervisor.running("loop")


async def test_stop_without_cancel_lets_the_task_finish_then_bounds_the_wait() -> None:
    supervisor = Supervisor("svc")
    finished = asyncio.Event()

    async def drains() -> None:
        await asyncio.sleep(0.01)
        finished.set()

    supervisor.start("drains", drains)
    await supervisor.stop("drains", cancel=False, timeout=5)
    assert finished.is_set()
    supervisor.start("stuck", _forever)
    await supervisor.stop("stuck", cancel=False, timeout=0.01)
    assert not supervisor.running("stuck")
    assert supervisor.alive


async def test_every_survives_failed_passes(caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor("svc")
    passes: list[int] = []
    enough = asyncio.Event()

    async def flaky() -> None:
        passes.append(1)
        if len(passes) == 3:
            enough.set()
        raise ConnectionError("store away")

    with caplog.at_level(logging.ERROR):
        supervisor.every("relay", 0, flaky)
        await asyncio.wait_for(enough.wait(), 5)
    assert supervisor.alive
    assert "relay pass failed" in caplog.text
    await supervisor.stop_all()


def test_livez_fails_naming_the_dead_task_and_the_kill_hook_is_what_kills() -> None:
    supervisor = Supervisor("svc")
    app = FastAPI()
    app.include_router(health_router({}, 1.0, supervisor))
    app.include_router(supervision_router(supervisor))

    @app.post("/start")
    async def start() -> None:
        supervisor.start("view:voice.actions", _forever)

    with TestClient(app) as client:
        client.post("/start")
        alive = client.get("/livez")
        assert alive.status_code == 200
        assert alive.json()["checks"] == {"view:voice.actions": "ok"}
        assert client.post("/_supervision/tasks/nope/kill").status_code == 404
        assert client.post("/_supervision/tasks/view:voice.actions/kill").status_code == 202
        dead = client.get("/livez")
    assert dead.status_code == 503
    assert dead.json() == {"status": "dead", "checks": {"view:voice.actions": "died: cancelled"}}
