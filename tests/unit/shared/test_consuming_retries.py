"""The shared retry rule handlers rely on before dead-lettering (invariant 6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from callplane_shared.consuming import RETRIES, with_retries

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    stamina.set_testing(True, attempts=RETRIES)
    yield
    stamina.set_testing(False)


async def test_a_transient_failure_is_retried_and_then_succeeds() -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls < RETRIES:
            raise ConnectionError("store blip")

    assert await with_retries(flaky) is None
    assert calls == RETRIES


async def test_a_lasting_failure_returns_the_last_error_for_the_dead_letter() -> None:
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError(f"attempt {calls}")

    error = await with_retries(broken)
    assert isinstance(error, ValueError)
    assert str(error) == f"attempt {RETRIES}"
    assert calls == RETRIES
