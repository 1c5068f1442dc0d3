"""Dialog events become CallStatus events with the right states and durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callplane_shared.events import CallState
from callplane_sip_edge.calls import CallBook, SipCall, call_id_for

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def book_with_call(sip_call_id: str = "abc@host") -> CallBook:
    book = CallBook(max_calls=10)
    book.open(sip_call_id, SipCall(call_id_for(sip_call_id), "+41791", "+4930", T0))
    return book


def test_the_same_sip_call_id_is_always_the_same_callplane_call() -> None:
    assert call_id_for("abc@host") == call_id_for("abc@host") != call_id_for("abd@host")
    assert len(call_id_for("x" * 10_000)) <= 128


def test_an_answered_call_finishes_with_its_talk_time_in_whole_seconds() -> None:
    book = book_with_call()
    ringing = book.ringing("abc@host", T0 + timedelta(seconds=1))
    assert ringing is not None
    assert ringing.state is CallState.RINGING
    assert book.ringing("abc@host", T0 + timedelta(seconds=2)) is None  # one RINGING per call
    answered = book.answered("abc@host", T0 + timedelta(seconds=3))
    assert answered is not None
    assert answered.state is CallState.ESTABLISHED
    finished = book.ended("abc@host", T0 + timedelta(seconds=5, milliseconds=600))
    assert finished is not None
    assert (finished.state, finished.duration_seconds) == (CallState.FINISHED, 3)
    assert finished.ringing_at == T0 + timedelta(seconds=1)
    assert len(book) == 0


@pytest.mark.parametrize(
    ("code", "canceled", "state"),
    [
        (486, False, CallState.BUSY),
        (408, False, CallState.NO_ANSWER),
        (503, False, CallState.FAILED),
        (487, True, CallState.CANCELLED),
    ],
)
def test_an_unanswered_call_ends_in_the_state_its_last_answer_says(
    code: int, canceled: bool, state: CallState
) -> None:
    book = book_with_call()
    status = book.unanswered("abc@host", T0, code, canceled)
    assert status is not None
    assert (status.state, status.duration_seconds) == (state, None)


def test_events_of_unknown_calls_are_dropped() -> None:
    book = CallBook(max_calls=10)
    assert book.answered("nobody", T0) is None
    assert book.ended("nobody", T0) is None


def test_the_book_is_bounded_and_forgets_the_oldest_calls() -> None:
    book = CallBook(max_calls=2)
    for n in range(3):
        book.open(f"c{n}", SipCall(f"sip-{n}", "a", "b", T0))
    assert len(book) == 2
    assert book.get("c0") is None
    assert book.forgotten == 1


def test_a_status_event_id_is_stable_so_a_repeat_is_a_duplicate() -> None:
    first = book_with_call().answered("abc@host", T0)
    again = book_with_call().answered("abc@host", T0)
    assert first is not None
    assert again is not None
    assert first.event_id == again.event_id
