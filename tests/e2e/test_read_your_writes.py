"""A voice action set right after a lease succeeds every time (issue 14): action-config waits,
bounded, for numbers.lifecycle to be handled before answering 404. Without that wait most pairs
answered 404 "not one of your leased numbers" for 50-150 ms after the lease."""

from __future__ import annotations

import pytest

from tests.e2e.journey import admin_client
from tests.e2e.lease_pairs import prepare, run_pairs
from tests.endpoints import Endpoints

pytestmark = pytest.mark.e2e
PAIRS = 20


async def test_a_voice_setup_right_after_a_lease_never_answers_404(endpoints: Endpoints) -> None:
    async with admin_client(endpoints.base_url) as admin:
        api, numbers = await prepare(admin, endpoints.base_url, PAIRS)
    async with api:
        results = await run_pairs(api, numbers)
    assert results.other_failures == []
    assert results.pairs == PAIRS
    assert results.voice_404 == 0
