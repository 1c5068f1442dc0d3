"""What Kamailio gets: rtjson routes with From and P-Asserted-Identity, or a reject."""

from __future__ import annotations

import pytest

from callplane_sip_edge.plan import Reject, Relay
from callplane_sip_edge.responses import REJECTS
from callplane_sip_edge.wire import Timers, to_kamailio

pytestmark = pytest.mark.unit
TIMERS = Timers(ring_ms=20_000, reply_ms=3000)


def test_a_relay_is_serial_rtjson_with_the_caller_id_in_from_and_pai() -> None:
    plan = Relay(
        "call_routing",
        ("sip:a@x", "sip:b@y"),
        "+4930123463",
        "sip:a@x",
        {"X-Callplane-Call-Id": "sip-1"},
    )
    message = to_kamailio(plan, 7, 42, "carrier.test", TIMERS)
    assert (message["tindex"], message["tlabel"], message["action"]) == (7, 42, "relay")
    routing = message["routing"]
    assert routing["routing"] == "serial"
    assert [r["uri"] for r in routing["routes"]] == ["sip:a@x", "sip:b@y"]
    first = routing["routes"][0]
    assert first["headers"]["from"] == {"uri": "sip:+4930123463@carrier.test"}
    assert first["headers"]["extra"] == (
        "P-Asserted-Identity: <sip:+4930123463@carrier.test>\r\nX-Callplane-Call-Id: sip-1\r\n"
    )
    assert (first["fr_inv_timer"], first["fr_timer"]) == (20_000, 3000)


def test_a_reject_carries_its_code_and_the_q850_reason() -> None:
    message = to_kamailio(Reject("NO_ACTION", REJECTS["NO_ACTION"]), 1, 2, "h", TIMERS)
    assert (message["code"], message["reason"]) == (480, "Temporarily Unavailable")
    assert 'Reason: Q.850;cause=18;text="NO_ACTION"\r\n' in message["extraHeaders"]


def test_nothing_from_a_decision_can_break_a_header_line() -> None:
    plan = Relay("forward", ("sip:a@x",), "+49\r\nX-Evil: 1", "sip:a@x", {"X-A": "b\nX-Evil: 2"})
    extra = to_kamailio(plan, 1, 2, "h\r\n", TIMERS)["routing"]["routes"][0]["headers"]["extra"]
    assert extra.count("\r\n") == 2
    assert "\nX-Evil" not in extra
