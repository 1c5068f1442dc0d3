from __future__ import annotations

import pytest

from console.api_errors import problem_of
from console.target_forms import (
    CALLS_CONFIGURATIONS,
    MASKING,
    ROUTES,
    SCENARIOS,
    body_of,
    editable,
    field_message,
    form_values,
    unplaced,
    values_of,
)

pytestmark = pytest.mark.unit


def test_a_route_forms_own_fields_become_the_apis_body_without_its_lists() -> None:
    values = form_values(
        ROUTES, {"name": " Sales ", "timeZone": "", "transferOnly": "on", "unknown": "ignored"}
    )
    body, refused = body_of(ROUTES, values, creating=True)
    assert refused == {}
    assert body == {"name": "Sales", "transferOnly": True}  # criteria, destinations: route_rows


@pytest.mark.parametrize(
    ("script", "says"), [("[{", "not valid JSON"), ('{"say": "hi"}', "must be a JSON list")]
)
def test_a_script_that_is_not_a_json_list_is_refused_before_the_api(script: str, says: str) -> None:
    values = form_values(SCENARIOS, {"name": "ivr", "script": script})
    body, refused = body_of(SCENARIOS, values, creating=True)
    assert "script" not in body
    assert says in refused["script"]


def test_empty_required_fields_are_sent_for_the_api_to_name_and_optional_ones_left_out() -> None:
    values = form_values(MASKING, {"name": "", "connectTimeoutMs": "500", "totalTimeoutMs": "x"})
    body, _ = body_of(MASKING, values, creating=True)
    assert body == {"name": "", "callbackUrl": "", "connectTimeoutMs": 500, "totalTimeoutMs": "x"}


def test_a_calls_configurations_id_is_chosen_once_and_only_its_name_is_edited() -> None:
    assert [f.name for f in editable(CALLS_CONFIGURATIONS, creating=True)] == ["id", "name"]
    values = form_values(CALLS_CONFIGURATIONS, {"id": "other", "name": "renamed"})
    assert body_of(CALLS_CONFIGURATIONS, values, creating=False) == ({"name": "renamed"}, {})


def test_a_stored_scenario_fills_the_form() -> None:
    stored = {"name": "survey", "script": [{"say": "Hi"}], "record": True, "version": 3}
    values = values_of(SCENARIOS, stored)
    assert values["record"] == "on"
    assert values["notifyUrl"] == ""
    assert values_of(SCENARIOS, None)["script"].startswith("[")
    back, _ = body_of(SCENARIOS, values, creating=False)
    assert back == {"name": "survey", "script": [{"say": "Hi"}], "record": True}


def test_an_error_inside_a_json_list_is_shown_next_to_that_list_with_its_path() -> None:
    problem = problem_of(
        400,
        {
            "description": "Invalid request",
            "violations": [
                {"property": "destinations.0.ENDPOINT.value.PHONE.phoneNumber", "violation": "x"},
                {"property": "name", "violation": "too long"},
                {"property": "body", "violation": "bad"},
            ],
        },
    )
    assert field_message(problem, "destinations") == "0.ENDPOINT.value.PHONE.phoneNumber: x"
    assert field_message(problem, "name") == "too long"
    assert field_message(problem, "criteria") is None
    assert unplaced(problem, ("name", "destinations")) == {"body": "bad"}


def test_an_ivr_step_error_is_shown_next_to_the_script() -> None:
    body = {
        "requestError": {
            "serviceException": {
                "text": "Invalid request",
                "validationErrors": {"script[1].dial": ["Dial step needs dial"]},
            }
        }
    }
    problem = problem_of(400, body)
    assert field_message(problem, "script") == "[1].dial: Dial step needs dial"
    assert unplaced(problem, ("script",)) == {}
