"""The one retry schedule of durable webhook queues: exponential, capped, fully jittered."""

from __future__ import annotations

import pytest

from callplane_shared.webhooks import retry_delay

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("attempts", "ceiling"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0)])
def test_the_delay_doubles_per_attempt_within_its_jitter(attempts: int, ceiling: float) -> None:
    delays = [retry_delay(attempts, 1.0, 300.0) for _ in range(200)]
    assert all(1.0 <= d <= ceiling for d in delays)


def test_the_delay_never_exceeds_the_cap_however_many_attempts() -> None:
    assert max(retry_delay(60, 1.0, 30.0) for _ in range(200)) <= 30.0


def test_jitter_spreads_deliveries_that_failed_together() -> None:
    assert len({round(retry_delay(6, 1.0, 300.0), 6) for _ in range(50)}) > 1
