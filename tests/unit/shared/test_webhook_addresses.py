"""The address policy of every webhook: globally routable addresses only, allowlist aside."""

from __future__ import annotations

import pytest

from callplane_shared.webhooks import AddressPolicy

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.20", "private"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("::1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, not a bind
        ("100.64.0.1", "non-global"),  # carrier-grade NAT
        ("100.127.255.254", "non-global"),
        ("192.0.0.5", "private"),  # IETF protocol assignments
        ("198.18.0.1", "private"),  # benchmarking
        ("2002:a00:1::1", "6to4"),  # 6to4 of 10.0.0.1
        ("2002:5db8:d822::1", "6to4"),  # even of a public address: the gateway is not ours
        ("64:ff9b::a00:1", "NAT64"),
        ("fd00:ec2::254", "metadata"),
        ("fc00::1", "private"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_addresses_that_are_not_globally_routable_are_refused(address: str, label: str) -> None:
    refusal = AddressPolicy.parse("").refusal("customer.example", [address])
    assert refusal is not None
    assert label in refusal
    assert "customer.example" in refusal


def test_public_addresses_pass_and_one_bad_address_taints_the_host() -> None:
    policy = AddressPolicy.parse("")
    assert policy.refusal("example.com", ["93.184.216.34", "2606:2800:220:1::"]) is None
    assert policy.refusal("example.com", ["93.184.216.34", "10.0.0.1"]) is not None


def test_allowlist_by_cidr_and_by_hostname() -> None:
    policy = AddressPolicy.parse("127.0.0.1, 10.8.0.0/16, hooks.internal., 100.64.0.0/10")
    assert policy.refusal("localhost", ["127.0.0.1"]) is None
    assert policy.refusal("x", ["10.8.3.4"]) is None
    assert policy.refusal("x", ["100.64.9.9"]) is None
    assert policy.refusal("x", ["10.9.3.4"]) is not None
    assert policy.refusal("HOOKS.internal", ["10.200.0.1"]) is None
