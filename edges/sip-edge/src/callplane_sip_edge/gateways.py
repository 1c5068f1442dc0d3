"""The gateway table: which carrier (a SIP URI) reaches an E.164 number. Longest prefix wins;
the empty prefix is the default. The number becomes the request URI's user part, so
`+41` → `sip:ch.carrier.example:5060` sends `+41793026727` to
`sip:+41793026727@ch.carrier.example:5060`."""

from __future__ import annotations

import re
from collections.abc import Mapping

_SIP_URI = re.compile(r"^(?P<scheme>sips?):(?:[^@;?]*@)?(?P<rest>[^;?\s]+(?:[;?]\S*)?)$")
_E164 = re.compile(r"^\+?[0-9]{1,20}$")


class GatewayTable:
    def __init__(self, gateways: Mapping[str, str]) -> None:
        for prefix, uri in gateways.items():
            if prefix and not _E164.match(prefix):
                raise ValueError(f"gateway prefix {prefix!r} is not an E.164 prefix")
            if not _SIP_URI.match(uri):
                raise ValueError(f"gateway {uri!r} for {prefix!r} is not a SIP URI")
        self._by_length = sorted(
            ((_digits(prefix), uri) for prefix, uri in gateways.items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    def uri_for(self, number: str) -> str | None:
        """The request URI that reaches `number`, or None when no gateway serves it."""
        if not _E164.match(number):
            return None
        digits = _digits(number)
        for prefix, gateway in self._by_length:
            if digits.startswith(prefix):
                return with_user(gateway, f"+{digits}")
        return None


def with_user(uri: str, user: str) -> str:
    """`uri` with `user` as its user part (replacing any): `sip:host;p` → `sip:user@host;p`."""
    match = _SIP_URI.match(uri)
    if match is None:
        raise ValueError(f"{uri!r} is not a SIP URI")
    return f"{match['scheme']}:{user}@{match['rest']}"


def _digits(number: str) -> str:
    return number.removeprefix("+")
