"""Which resolved addresses a customer URL may reach (SSRF guard)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata endpoints that are not all inside the link-local range.
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("100.100.100.200/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)


@dataclass(frozen=True)
class AddressPolicy:
    hostnames: frozenset[str]
    networks: tuple[IpNetwork, ...]

    @classmethod
    def parse(cls, allowlist: str) -> AddressPolicy:
        hostnames: set[str] = set()
        networks: list[IpNetwork] = []
        for raw in allowlist.split(","):
            item = raw.strip()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hostnames.add(item.lower())
        return cls(frozenset(hostnames), tuple(networks))

    def host_allowlisted(self, hostname: str) -> bool:
        return hostname.lower().rstrip(".") in self.hostnames

    def refusal(self, hostname: str, addresses: Iterable[str]) -> str | None:
        """Why this host must not be called, or None when every address is acceptable.

        All addresses must pass: a name resolving to one public and one private address is
        refused, since the client could connect to either.
        """
        if self.host_allowlisted(hostname):
            return None
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            if any(address in network for network in self.networks):
                continue
            reason = _forbidden(address)
            if reason:
                return f"{hostname} resolves to {reason} address {address}"
        return None


def _forbidden(address: IpAddress) -> str | None:
    if any(address in network for network in _METADATA):
        return "a cloud metadata"
    checks = (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a private", address.is_private),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
    )
    for label, hit in checks:
        if hit:
            return label
    return None
