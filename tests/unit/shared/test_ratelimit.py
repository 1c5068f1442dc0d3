"""The per-API-key token bucket: a burst is admitted, then 429 with a Retry-After that grows
with how empty the bucket is, and tokens come back with time."""

from __future__ import annotations

import pytest

from callplane_shared.events import AccountLimits
from callplane_shared.http_errors import ApiError
from callplane_shared.ratelimit import RateLimit, RateLimiter

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_admitted_then_refused_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_second=2, burst=5), clock)
    defaults = AccountLimits()
    assert [limiter.retry_after("k", defaults) for _ in range(5)] == [None] * 5
    assert limiter.retry_after("k", defaults) == 1
    with pytest.raises(ApiError) as refused:
        limiter.check("k", defaults)
    assert refused.value.status_code == 429
    assert refused.value.message_id == "TOO_MANY_REQUESTS"
    assert refused.value.headers == {"Retry-After": "1"}
    clock.now += 1.0  # two tokens back
    assert limiter.retry_after("k", defaults) is None
    assert limiter.retry_after("k", defaults) is None
    assert limiter.retry_after("k", defaults) == 1


def test_keys_have_their_own_buckets_and_accounts_their_own_limits() -> None:
    limiter = RateLimiter(RateLimit(per_second=1, burst=1), Clock())
    slow = AccountLimits(requests_per_second=0.1, burst=1)
    assert limiter.retry_after("a", AccountLimits()) is None
    assert limiter.retry_after("b", AccountLimits()) is None
    assert limiter.retry_after("c", slow) is None
    assert limiter.retry_after("c", slow) == 10
