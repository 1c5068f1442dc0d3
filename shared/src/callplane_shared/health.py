"""`/livez` (every supervised task still running) and `/readyz` (each dependency checked under
its own deadline)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from callplane_shared.supervision import Supervisor

ReadinessCheck = Callable[[], Awaitable[bool]]


class HealthReport(BaseModel):
    status: str
    checks: dict[str, str]


async def _run_check(check: ReadinessCheck, timeout: float) -> str:
    try:
        ok = await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return "timeout"
    except Exception as exc:  # noqa: BLE001 - a failing dependency is a report, not a crash
        return f"error: {type(exc).__name__}"
    return "ok" if ok else "not ready"


def health_router(
    checks: Mapping[str, ReadinessCheck], timeout: float, supervisor: Supervisor
) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/livez", responses={503: {"model": HealthReport}})
    async def livez(response: Response) -> HealthReport:
        """The event loop answers and no supervised task (consumer loop, view follower,
        background job) has died; a dead one is named with why, and Kubernetes restarts us."""
        died = supervisor.died()
        report = {
            name: ("ok" if name not in died else f"died: {died[name]}")
            for name in supervisor.names()
        }
        if died:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return HealthReport(status="dead", checks=report)
        return HealthReport(status="ok", checks=report)

    @router.get("/readyz", responses={503: {"model": HealthReport}})
    async def readyz(response: Response) -> HealthReport:
        """Every dependency answers (Kafka, MongoDB, and service-specific checks)."""
        names = list(checks)
        results = await asyncio.gather(*(_run_check(checks[n], timeout) for n in names))
        report = dict(zip(names, results, strict=True))
        ready = all(r == "ok" for r in results)
        if not ready:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return HealthReport(status="ok" if ready else "unavailable", checks=report)

    return router


def supervision_router(supervisor: Supervisor) -> APIRouter:
    """Fault injection for liveness tests: mounted only when SUPERVISION_FAULT_INJECTION is on,
    which nothing but a test's own service instance sets."""
    router = APIRouter(tags=["health"], include_in_schema=False)

    @router.post("/_supervision/tasks/{name}/kill", status_code=status.HTTP_202_ACCEPTED)
    async def kill(name: str, response: Response) -> dict[str, bool]:
        killed = supervisor.kill(name)
        if not killed:
            response.status_code = status.HTTP_404_NOT_FOUND
        return {"killed": killed}

    return router
