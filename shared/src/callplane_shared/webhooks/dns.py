"""Name resolution for webhooks: asynchronous and bounded by the caller's deadline.

`loop.getaddrinfo` runs in a small thread pool and cannot be cancelled: a slow DNS server keeps
the threads busy after the deadline passed, and a few slow names then stall every lookup. A
resolver speaking DNS itself (dnspython) is cancelled with the request, and caches answers for
their TTL so a busy customer does not cost one query per call.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

CACHE_ENTRIES = 10_000


class ResolutionError(Exception):
    """The name has no usable address; the message says why."""


class NameResolver(Protocol):
    async def resolve(self, hostname: str, timeout: float) -> list[str]:
        """Addresses of `hostname` (IPv4 first), within `timeout` seconds, or ResolutionError."""
        ...


class DnsResolver:
    """The system's nameservers (/etc/resolv.conf), or the given ones, queried without threads."""

    def __init__(
        self,
        cache_entries: int = CACHE_ENTRIES,
        *,
        nameservers: list[str] | None = None,
        port: int = 53,
    ) -> None:
        self._cache_entries = cache_entries
        self._nameservers = nameservers
        self._port = port
        self._resolver: dns.asyncresolver.Resolver | None = None

    def _get(self) -> dns.asyncresolver.Resolver:
        # Built on first use, so a machine without resolv.conf still starts (and says why here).
        if self._resolver is None:
            try:
                resolver = dns.asyncresolver.Resolver(configure=self._nameservers is None)
            except dns.resolver.NoResolverConfiguration as exc:
                raise ResolutionError(f"no DNS configuration: {exc}") from None
            if self._nameservers is not None:
                resolver.nameservers = list(self._nameservers)
                resolver.port = self._port
            resolver.cache = dns.resolver.LRUCache(self._cache_entries)
            self._resolver = resolver
        return self._resolver

    async def resolve(self, hostname: str, timeout: float) -> list[str]:
        resolver = self._get()
        answers = await asyncio.gather(
            *(
                resolver.resolve(hostname, kind, lifetime=timeout, search=False)
                for kind in ("A", "AAAA")
            ),
            return_exceptions=True,
        )
        addresses = [
            record.to_text()
            for answer in answers
            if isinstance(answer, dns.resolver.Answer)
            for record in answer
        ]
        if addresses:
            return addresses
        raise ResolutionError(_why(hostname, answers[0]))


def _why(hostname: str, failure: object) -> str:
    if isinstance(failure, dns.resolver.NXDOMAIN):
        return f"{hostname} does not exist"
    if isinstance(failure, dns.resolver.NoAnswer):
        return f"{hostname} has no address"
    if isinstance(failure, dns.exception.Timeout):
        return f"DNS for {hostname} did not answer in time"
    if isinstance(failure, dns.resolver.NoNameservers):
        return f"no nameserver answered for {hostname}"
    return f"cannot resolve {hostname}: {type(failure).__name__}: {failure}"
