"""The one retry rule: a first attempt without the retry machinery, then stamina's backoff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

from callplane_shared.retrying import retry

pytestmark = pytest.mark.unit
ATTEMPTS = 4


@pytest.fixture
def retries_seen() -> Iterator[list[RetryDetails]]:
    """stamina's retry reports (what its logging hook would log), without waiting."""
    seen: list[RetryDetails] = []

    def hook(details: RetryDetails) -> None:
        seen.append(details)

    hooks = get_on_retry_hooks()
    set_on_retry_hooks([hook])
    stamina.set_testing(True, attempts=ATTEMPTS)
    yield seen
    stamina.set_testing(False)
    set_on_retry_hooks(hooks)


async def test_a_call_that_succeeds_runs_once_and_reports_no_retry(
    retries_seen: list[RetryDetails],
) -> None:
    calls = 0

    async def fine() -> None:
        nonlocal calls
        calls += 1

    await retry(fine, attempts=ATTEMPTS, wait_initial=0.1, wait_max=1.0)
    assert calls == 1
    assert retries_seen == []


async def test_the_first_failure_is_reported_as_a_retry_like_every_later_one(
    retries_seen: list[RetryDetails],
) -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError(f"blip {calls}")

    await retry(flaky, attempts=ATTEMPTS, wait_initial=0.1, wait_max=1.0)
    assert calls == 3
    assert [str(d.caused_by) for d in retries_seen] == ["blip 1", "blip 2"]


async def test_a_lasting_failure_is_tried_attempts_times_in_all_and_the_last_error_raised(
    retries_seen: list[RetryDetails],
) -> None:
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError(f"attempt {calls}")

    with pytest.raises(ValueError, match=f"attempt {ATTEMPTS}"):
        await retry(broken, attempts=ATTEMPTS, wait_initial=0.1, wait_max=1.0)
    assert calls == ATTEMPTS
    assert len(retries_seen) == ATTEMPTS - 1
