"""`/livez` and `/readyz`, with each dependency checked under its own deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

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


def health_router(checks: Mapping[str, ReadinessCheck], timeout: float) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/livez")
    async def livez() -> HealthReport:
        """The process is alive and its event loop answers."""
        return HealthReport(status="ok", checks={})

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
