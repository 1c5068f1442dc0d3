"""Structural check of an IVR `script`: every step is one of the reference spec's step types,
with its required top-level keys and no unknown ones; nested step lists are checked too.

Deeper option objects are passed through unchecked (they are executed by the IVR engine, not by
us); the point is to refuse scripts that could never run, with the step named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from action_config.domain.ivr_options import check_step_options, check_storable
from action_config.domain.refusals import invalid
from callplane_shared.events import IVR_SCRIPT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class StepType:
    name: str
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    nested: frozenset[str] = frozenset()  # keys holding lists of steps

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional | self.nested


def _step(
    name: str, required: str, optional: str = "", nested: str = "", *, action_id: bool = True
) -> StepType:
    extra = {"actionId"} if action_id else set()
    nested_keys = frozenset(nested.split())
    return StepType(
        name,
        frozenset(required.split()),
        frozenset(optional.split()) | extra,
        nested_keys,
    )


# Keyed by the key that identifies the step type (checked in this order).
STEP_TYPES: dict[str, StepType] = {
    "request": _step("CallApi", "request options"),
    "capture": _step("Capture", "capture timeout speechOptions", "beep dtmfOptions sendToReports"),
    "collectInto": _step("Collect", "collectInto", "options"),
    "dialToMany": _step("DialToMany", "dialToMany options"),
    "dialToConversations": _step("DialToConversations", "dialToConversations", action_id=False),
    "dial": _step("Dial", "dial", "options"),
    "for-each": _step("ForEach", "for-each in", "delimiter", "do", action_id=False),
    "goTo": _step("GoTo", "goTo", "options", action_id=False),
    "hangup": _step("Hangup", "hangup", action_id=False),
    "if": _step("IfThenElse", "if", "", "then else"),
    "answeringMachineDetection": _step(
        "AnsweringMachineDetection",
        "answeringMachineDetection",
        "options",
        "onDetecting onMachineDetected onTimeout onHumanDetected",
        action_id=False,
    ),
    "machineDetection": _step("MachineDetection", "machineDetection", action_id=False),
    "pause": _step("Pause", "pause"),
    "playFromUrl": _step("Play", "playFromUrl", "options"),
    "playFromRecording": _step("PlayFromRecording", "playFromRecording"),
    "playFromUpload": _step("PlayFromUpload", "playFromUpload", "options"),
    "playTty": _step("PlayTty", "playTty", "options"),
    "record": _step("Record", "record", "options"),
    "repeat": _step("RepeatWhile", "while", "", "repeat", action_id=False),
    "say": _step("Say", "say", "options"),
    "sendSms": _step("SendSms", "sendSms"),
    "setVariable": _step("SetVariable", "setVariable value", action_id=False),
    "switch": _step("SwitchCase", "switch case"),
    "while": _step("WhileDo", "while", "", "do", action_id=False),
}
REQUIRED_NESTED = {"ForEach": "do", "WhileDo": "do", "RepeatWhile": "repeat"}
MAX_DEPTH = 16
MAX_STEPS = 1000


def _identify(step: Mapping[str, Any]) -> StepType | None:
    for marker, step_type in STEP_TYPES.items():
        if marker in step:
            return step_type
    return None


def _check_steps(steps: Any, path: str, depth: int, counter: list[int]) -> None:
    if not isinstance(steps, list):
        raise invalid(path, "must be a list of steps")
    if depth > MAX_DEPTH:
        raise invalid(path, f"steps are nested deeper than {MAX_DEPTH} levels")
    for i, step in enumerate(steps):
        _check_step(step, f"{path}[{i}]", depth, counter)


def _check_step(step: Any, where: str, depth: int, counter: list[int]) -> None:
    counter[0] += 1
    if counter[0] > MAX_STEPS:
        raise invalid("script", f"a script has at most {MAX_STEPS} steps")
    if not isinstance(step, dict) or not step:
        raise invalid(where, 'each step must be a JSON object such as {"say": "Hello"}')
    step_type = _identify(step)
    if step_type is None:
        known = ", ".join(sorted(STEP_TYPES))
        raise invalid(where, f"unknown step {sorted(step)}; a step starts with one of: {known}")
    missing = sorted(
        (step_type.required | {REQUIRED_NESTED.get(step_type.name, "")}) - set(step) - {""}
    )
    if missing:
        raise invalid(where, f"{step_type.name} step needs {', '.join(missing)}")
    unknown = sorted(set(step) - step_type.allowed)
    if unknown:
        raise invalid(where, f"{step_type.name} step does not take {', '.join(unknown)}")
    check_step_options(step_type.name, step, where)
    for key in sorted(step_type.nested & set(step)):
        _check_steps(step[key], f"{where}.{key}", depth + 1, counter)
    if step_type.name == "SwitchCase":
        cases = step["case"]
        if not isinstance(cases, dict):
            raise invalid(f"{where}.case", "must map each value (or __default) to a list of steps")
        for value, branch in cases.items():
            _check_steps(branch, f"{where}.case.{value}", depth + 1, counter)


def check_script(script: list[Any]) -> None:
    """Raise a refusal naming the first step that cannot run."""
    if not script:
        raise invalid("script", "a script needs at least one step")
    _check_steps(script, "script", 0, [0])
    check_storable(script, "script")
    size = len(json.dumps(script, separators=(",", ":")).encode())
    if size > IVR_SCRIPT_MAX_BYTES:
        raise invalid(
            "script",
            f"the script is {size} bytes as compact JSON; at most {IVR_SCRIPT_MAX_BYTES} "
            "(every IVR decision carries it): split it or shorten texts",
        )
