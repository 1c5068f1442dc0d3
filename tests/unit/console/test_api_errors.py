from __future__ import annotations

import pytest

from console.api_errors import MAX_TEXT, problem_of
from console.public_api import NotFoundError, segment

pytestmark = pytest.mark.unit


def test_infobips_envelope_names_the_field_even_through_a_union_tag() -> None:
    body = {
        "requestError": {
            "serviceException": {
                "messageId": "BAD_REQUEST",
                "text": "Invalid request",
                "validationErrors": {"action.FORWARD_TO_PSTN.pstnNumber": ["not E.164"]},
            }
        }
    }
    problem = problem_of(400, body)
    assert problem.text == "Invalid request"
    assert problem.for_field("action.pstnNumber") == "not E.164"
    assert problem.for_field("fallback.pstnNumber") is None


def test_call_routings_api_error_and_an_unknown_body() -> None:
    body = {"description": "bad", "violations": [{"property": "name", "violation": "blank"}]}
    assert problem_of(400, body).for_field("name") == "blank"
    assert problem_of(502, "<html>").text == "The API answered HTTP 502."
    huge = {"requestError": {"serviceException": {"text": "x" * 10_000}}}
    assert len(problem_of(400, huge).text) == MAX_TEXT


@pytest.mark.parametrize("value", ["..", ".", "a/b", "../admin", "", "x" * 200, "a?b", "a%2f"])
def test_ids_that_could_leave_their_path_are_not_found(value: str) -> None:
    with pytest.raises(NotFoundError):
        segment(value)


def test_a_normal_id_passes() -> None:
    assert segment("abc-123_DEF") == "abc-123_DEF"
