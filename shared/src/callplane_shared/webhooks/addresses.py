"""Which addresses a customer URL may reach (the SSRF guard): globally routable ones only, unless
the operator's allowlist names the host, the address or its network."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named only so the refusal says what was hit; `is_global` refuses them all anyway.
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("100.100.100.200/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
# IPv6 prefixes that carry an IPv4 address inside: Python calls 6to4 and NAT64 "global", but a
# gateway would deliver them to whatever IPv4 address they embed, private ones included.
_TRANSLATED = (
    ipaddress.ip_network("2002::/16"),
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
)


@dataclass(frozen=True)
class AddressPolicy:
    hostnames: frozenset[str]
    networks: tuple[IpNetwork, ...]

    @classmethod
    def parse(cls, allowlist: str) -> AddressPolicy:
        """`allowlist`: comma-separated hostnames, IP addresses or CIDRs (empty: none)."""
        hostnames: set[str] = set()
        networks: list[IpNetwork] = []
        for raw in allowlist.split(","):
            item = raw.strip()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hostnames.add(item.lower().rstrip("."))
        return cls(frozenset(hostnames), tuple(networks))

    def host_allowlisted(self, hostname: str) -> bool:
        return hostname.lower().rstrip(".") in self.hostnames

    def refusal(self, hostname: str, addresses: Iterable[str]) -> str | None:
        """Why this host must not be called, or None when every address is acceptable.

        All addresses must pass, although only the first is connected to: a name that mixes
        public and private answers is a rebinding attempt or a misconfiguration, never a
        customer's intent.
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
    if any(address in network for network in _TRANSLATED):
        return "an IPv4-translating (6to4/NAT64)"
    checks = (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a private", address.is_private),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
        # Carrier-grade NAT (100.64.0.0/10), benchmarking, documentation and the rest of what
        # the registries list as not reachable from the internet.
        ("a non-global", not address.is_global),
    )
    for label, hit in checks:
        if hit:
            return label
    return None
