"""Route patterns through action-config's API (issue 12, invariant 8): what RE2 cannot run is
refused with a 400 naming the construct; pathological patterns are accepted and `simulate`
answers at once. Before RE2, simulate with issue 12's pattern froze action-config for seconds
per call (minutes at the length limit)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.hostile_patterns import PATHOLOGICAL, REFUSED
from tests.integration.action_config.targets import route_body
from tests.integration.action_config.world import Tenant

pytestmark = pytest.mark.integration
ROUTES = "/callrouting/1/routes"


def _with_pattern(pattern: str) -> dict[str, Any]:
    return {**route_body(), "criteria": [{"to": pattern}]}


@pytest.mark.parametrize(("pattern", "construct"), REFUSED.items())
async def test_patterns_re2_cannot_run_are_refused_naming_the_construct(
    tenant: Tenant, pattern: str, construct: str
) -> None:
    reply = await tenant.call("POST", ROUTES, json=_with_pattern(pattern))
    assert reply.status_code == 400, reply.text
    # Call Routing answers Infobip's ApiError: the violation names the field and the construct.
    violations = reply.json()["violations"]
    assert any(
        v["property"].startswith("criteria[0]") and construct in v["violation"] for v in violations
    ), violations


async def test_pathological_patterns_are_accepted_and_simulate_answers_at_once(
    tenant: Tenant,
) -> None:
    for pattern in PATHOLOGICAL:
        reply = await tenant.call("POST", ROUTES, json=_with_pattern(pattern))
        assert reply.status_code == 201, (pattern, reply.text)
    simulate = {"to": "4930123463", "endpoint": {"type": "PHONE", "phoneNumber": "4930123"}}
    began = time.perf_counter()
    # The client's 30 s timeout is the hang guard; the time is reported, not asserted.
    miss = await tenant.call("POST", f"{ROUTES}/simulate", json=simulate)
    elapsed = time.perf_counter() - began
    assert miss.status_code == 404, miss.text
    print(f"simulate over {len(PATHOLOGICAL)} pathological routes: {elapsed * 1000:.1f} ms")  # noqa: T201
