"""What the adapter remembers of each SIP call, so dialog events become `CallStatus` events.

Kamailio reports events by SIP Call-ID with its own timestamps; the book maps them to callplane's
callId, keeps the ringing and answer times, and computes durations. It is bounded: beyond
`max_calls` the oldest calls are forgotten (their later events are dropped and counted), so a
flood of calls that never end cannot grow it without limit.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from callplane_shared.events import CallState, CallStatus

_BUSY = {486, 600}
_NO_ANSWER = {408, 480}


def call_id_for(sip_call_id: str) -> str:
    """callplane's callId of a SIP call: the same Call-ID always gives the same id, so a
    re-sent INVITE event is the same call to callplane (decisions are idempotent by callId)."""
    return "sip-" + hashlib.blake2b(sip_call_id.encode(), digest_size=16).hexdigest()


def _event_id(call_id: str, state: CallState) -> str:
    return hashlib.blake2b(f"status:{state}:{call_id}".encode(), digest_size=16).hexdigest()


@dataclass
class SipCall:
    call_id: str
    caller: str
    called: str
    received_at: datetime
    transfer_to: str | None = None
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    traceparent: str | None = None  # the INVITE's trace, so status events join it

    def status(
        self,
        state: CallState,
        *,
        ended_at: datetime | None = None,
        cause: str | None = None,
    ) -> CallStatus:
        duration = None
        if state is CallState.FINISHED and ended_at and self.answered_at:
            duration = max(0, round((ended_at - self.answered_at).total_seconds()))
        return CallStatus(
            event_id=_event_id(self.call_id, state),
            call_id=self.call_id,
            state=state,
            from_=self.caller,
            to=self.called,
            transfer_to=self.transfer_to,
            ringing_at=self.ringing_at,
            answered_at=self.answered_at,
            ended_at=ended_at,
            duration_seconds=duration,
            hangup_cause=cause,
        )


class CallBook:
    def __init__(self, max_calls: int) -> None:
        self._calls: OrderedDict[str, SipCall] = OrderedDict()
        self._max = max_calls
        self.forgotten = 0

    def __len__(self) -> int:
        return len(self._calls)

    def open(self, sip_call_id: str, call: SipCall) -> None:
        self._calls[sip_call_id] = call
        self._calls.move_to_end(sip_call_id)
        while len(self._calls) > self._max:
            self._calls.popitem(last=False)
            self.forgotten += 1

    def get(self, sip_call_id: str) -> SipCall | None:
        return self._calls.get(sip_call_id)

    def ringing(self, sip_call_id: str, at: datetime) -> CallStatus | None:
        call = self._calls.get(sip_call_id)
        if call is None or call.ringing_at is not None or call.answered_at is not None:
            return None  # one RINGING per call, whichever destination rang first
        call.ringing_at = at
        return call.status(CallState.RINGING)

    def answered(self, sip_call_id: str, at: datetime) -> CallStatus | None:
        call = self._calls.get(sip_call_id)
        if call is None or call.answered_at is not None:
            return None
        call.answered_at = at
        return call.status(CallState.ESTABLISHED)

    def ended(self, sip_call_id: str, at: datetime) -> CallStatus | None:
        call = self._calls.pop(sip_call_id, None)
        if call is None or call.answered_at is None:
            return None
        return call.status(CallState.FINISHED, ended_at=at, cause="NORMAL_CLEARING")

    def unanswered(
        self, sip_call_id: str, at: datetime, code: int, canceled: bool
    ) -> CallStatus | None:
        call = self._calls.pop(sip_call_id, None)
        if call is None:
            return None
        if canceled:
            return call.status(CallState.CANCELLED, ended_at=at, cause="ORIGINATOR_CANCEL")
        if code in _BUSY:
            state = CallState.BUSY
        elif code in _NO_ANSWER:
            state = CallState.NO_ANSWER
        else:
            state = CallState.FAILED
        return call.status(state, ended_at=at, cause=f"SIP {code}")

    def rejected(self, sip_call_id: str, at: datetime, code: int, reason: str) -> CallStatus | None:
        call = self._calls.pop(sip_call_id, None)
        if call is None:
            return None
        return call.status(CallState.FAILED, ended_at=at, cause=f"SIP {code} {reason}")
