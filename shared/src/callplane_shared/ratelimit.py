"""Per-API-key rate limits: a token bucket per key, in each replica's memory.

Per replica, not shared through the store, on purpose: a shared bucket would put a database
round trip (and, on FerretDB, a compare-and-set loop, since its conditional updates are not
atomic) in front of every request, and would make the store's availability the API's. The cost
is that an account's effective limit is `replicas * rate` at most: operators size
`RATE_LIMIT_PER_SECOND` as the account limit divided by the service's maximum replica count
(the chart's README shows the arithmetic). An account's own limits (`AccountUpserted.limits`)
override the defaults.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from callplane_shared.events import AccountLimits
from callplane_shared.http_errors import ApiError
from callplane_shared.settings import ServiceSettings


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: int


class RateLimiter:
    def __init__(
        self,
        default: RateLimit = RateLimit(per_second=50.0, burst=100),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._default = default
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def limit_for(self, limits: AccountLimits) -> RateLimit:
        return RateLimit(
            per_second=limits.requests_per_second or self._default.per_second,
            burst=limits.burst or self._default.burst,
        )

    def retry_after(self, key: str, limits: AccountLimits) -> int | None:
        """Take one token for `key`; None when granted, else whole seconds until one is back."""
        limit = self.limit_for(limits)
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(limit.burst), updated=now)
        bucket.tokens = min(
            float(limit.burst), bucket.tokens + (now - bucket.updated) * limit.per_second
        )
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / limit.per_second))

    def check(self, key: str, limits: AccountLimits) -> None:
        wait = self.retry_after(key, limits)
        if wait is not None:
            raise ApiError(
                429,
                f"Too many requests for this API key; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)


def rate_limiter(settings: ServiceSettings) -> RateLimiter:
    """The limiter a service builds from its RATE_LIMIT_* settings."""
    return RateLimiter(RateLimit(settings.rate_limit_per_second, settings.rate_limit_burst))
