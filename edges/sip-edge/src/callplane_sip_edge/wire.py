"""The evapi messages the adapter sends Kamailio (see edges/sip-edge/kamailio/kamailio.cfg):
`{"tindex", "tlabel", "action": "reject", "code", "reason", "extraHeaders"}` or
`{"tindex", "tlabel", "action": "relay", "routing": <rtjson document>}`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callplane_sip_edge.plan import Plan, Reject, Relay

# Header values come from decisions and SIP; nothing may smuggle a line break into a header.
_UNSAFE = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True)
class Timers:
    ring_ms: int
    reply_ms: int


def to_kamailio(
    plan: Plan, tindex: int, tlabel: int, from_host: str, timers: Timers
) -> dict[str, Any]:
    ids = {"tindex": tindex, "tlabel": tlabel}
    if isinstance(plan, Reject):
        return {
            **ids,
            "action": "reject",
            "code": plan.answer.code,
            "reason": plan.answer.phrase,
            "extraHeaders": _header_block(plan.headers()),
        }
    return {**ids, "action": "relay", "routing": rtjson_document(plan, from_host, timers)}


def rtjson_document(plan: Relay, from_host: str, timers: Timers) -> dict[str, Any]:
    identity = f"sip:{_clean(plan.caller_id)}@{_clean(from_host)}"
    headers = {"P-Asserted-Identity": f"<{identity}>", **plan.headers}
    branch_headers = {"from": {"uri": identity}, "extra": _header_block(headers)}
    return {
        "version": "1.0",
        "routing": "serial",
        "routes": [
            {
                "uri": uri,
                "headers": branch_headers,
                "fr_timer": timers.reply_ms,
                "fr_inv_timer": timers.ring_ms,
            }
            for uri in plan.destinations
        ],
    }


def _header_block(headers: Mapping[str, str]) -> str:
    return "".join(f"{_clean(name)}: {_clean(value)}\r\n" for name, value in headers.items())


def _clean(value: str) -> str:
    return _UNSAFE.sub("", value)
