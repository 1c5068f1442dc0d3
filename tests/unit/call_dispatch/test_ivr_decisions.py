"""IVR decisions are self-contained: the view holds every scenario's current version and script,
versions only go forward (as invariant 2 for actions), and a decision carries id, version and
script. A scenario the view does not hold, or another account's, is TARGET_NOT_FOUND."""

from __future__ import annotations

import pytest

from call_dispatch.decider import Decided, decide
from call_dispatch.view import SCENARIO_RECORD_MAX_BYTES, DispatchView
from callplane_shared.events import IvrInstruction, RejectInstruction, utc_now
from callplane_shared.voice import FallbackForward, ForwardToIvr, RejectReason
from tests.support import unique
from tests.unit.call_dispatch.builders import (
    action_set,
    inbound,
    scenario_record,
    unique_number,
)

pytestmark = pytest.mark.unit


def _ivr_view(scenario_id: str, **kwargs: object) -> tuple[DispatchView, str]:
    view = DispatchView()
    number = unique_number()
    view.set_action(action_set(number, 1, ForwardToIvr(scenario_key=scenario_id), **kwargs))  # type: ignore[arg-type]
    return view, number


def _instruction(view: DispatchView, number: str) -> object:
    outcome = decide(inbound(number), view, utc_now())
    assert isinstance(outcome, Decided)
    return outcome.decision.instruction


def test_the_decision_carries_id_version_and_script() -> None:
    scenario_id = unique("scn")
    view, number = _ivr_view(scenario_id)
    script = [{"say": "Hello"}, {"collectInto": "choice"}]
    view.apply_scenario(*scenario_record(scenario_id, 3, script=script))
    instruction = _instruction(view, number)
    assert isinstance(instruction, IvrInstruction)
    assert (instruction.scenario_id, instruction.scenario_version) == (scenario_id, 3)
    assert instruction.script == script
    # The decision is built without validation: its JSON must still be a valid decision.
    outcome = decide(inbound(number), view, utc_now())
    assert isinstance(outcome, Decided)
    wire = outcome.decision.model_dump_json(by_alias=True)
    assert '"scenarioVersion":3' in wire


def test_scenario_versions_only_go_forward_invariant_2() -> None:
    scenario_id = unique("scn")
    view, number = _ivr_view(scenario_id)
    view.apply_scenario(*scenario_record(scenario_id, 2))
    view.apply_scenario(*scenario_record(scenario_id, 1))  # late, older
    instruction = _instruction(view, number)
    assert isinstance(instruction, IvrInstruction)
    assert instruction.scenario_version == 2
    view.apply_scenario(scenario_id.encode(), None)  # deleted at 2
    view.apply_scenario(*scenario_record(scenario_id, 2))  # a late copy cannot bring it back
    assert view.scenario(scenario_id) is None
    view.apply_scenario(*scenario_record(scenario_id, 3))
    assert view.scenario(scenario_id) is not None


def test_unknown_or_foreign_scenarios_are_target_not_found_or_the_fallback() -> None:
    scenario_id = unique("scn")
    view, number = _ivr_view(scenario_id)
    instruction = _instruction(view, number)
    assert isinstance(instruction, RejectInstruction)
    assert instruction.reason is RejectReason.TARGET_NOT_FOUND

    view.apply_scenario(*scenario_record(scenario_id, 1, account_id="someone-else"))
    instruction = _instruction(view, number)
    assert isinstance(instruction, RejectInstruction), "another account's scenario is missing"

    fallback = FallbackForward(pstn_number="+41445550112")
    view, number = _ivr_view(unique("scn"), fallback=fallback)
    assert _instruction(view, number).kind == "forward"  # type: ignore[attr-defined]


def test_oversized_scenario_records_are_skipped_and_counted() -> None:
    scenario_id = unique("scn")
    view, _ = _ivr_view(scenario_id)
    huge = [{"say": "x" * SCENARIO_RECORD_MAX_BYTES}]
    view.apply_scenario(*scenario_record(scenario_id, 1, script=huge))
    assert view.scenario(scenario_id) is None
    assert view.scenarios_oversized == 1
