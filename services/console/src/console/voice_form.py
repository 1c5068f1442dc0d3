"""The number-details form and the voice API's body, each made from the other (pure).

One form for every action type: the type picks which fields count. Required fields are not
checked here: the API checks them and its text is shown next to the field it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callplane_shared.voice import ActionType, RejectReason

NO_ACTION = "NO_ACTION"
ACTION_LABELS: dict[str, str] = {
    ActionType.FORWARD_TO_PSTN: "Forward to a phone number",
    ActionType.VOICE_NUMBER_MASKING: "Number masking",
    ActionType.VOICE_FORWARD_TO_CONVERSATIONS: "Conversations",
    ActionType.FORWARD_TO_SUBSCRIPTION: "Subscription (calls configuration)",
    ActionType.FORWARD_TO_CALL_ROUTING: "Call routing",
    ActionType.FORWARD_TO_IVR: "IVR scenario",
    NO_ACTION: "No action",
}
# The action field that carries each type's one target, as the form and the API name it.
TARGET_FIELD: dict[str, str] = {
    ActionType.FORWARD_TO_PSTN: "pstnNumber",
    ActionType.VOICE_NUMBER_MASKING: "voiceNumberMaskingConfigKey",
    ActionType.FORWARD_TO_SUBSCRIPTION: "callsConfigurationId",
    ActionType.FORWARD_TO_CALL_ROUTING: "routeId",
    ActionType.FORWARD_TO_IVR: "scenarioKey",
}
FORM_FIELDS = (
    "actionType",
    *TARGET_FIELD.values(),
    "description",
    "fallbackType",
    "fallbackPstnNumber",
    "fallbackReason",
)
REJECT_REASONS = tuple(reason.value for reason in RejectReason)
MAX_FIELD = 500


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The form's known fields, stripped and bounded; unknown fields are ignored."""
    return {name: str(form.get(name) or "").strip()[:MAX_FIELD] for name in FORM_FIELDS}


def action_label(action_type: str | None) -> str:
    return ACTION_LABELS.get(action_type or NO_ACTION, action_type or NO_ACTION)


def setup_body(values: Mapping[str, str]) -> dict[str, Any] | None:
    """The PUT body for the chosen action; None for "No action" (the setup is deleted)."""
    action_type = values.get("actionType") or NO_ACTION
    if action_type == NO_ACTION:
        return None
    action: dict[str, Any] = {"type": action_type}
    target = TARGET_FIELD.get(action_type)
    if target is not None:
        chosen = values.get(target, "")
        # Call routing without a route means "the first enabled route whose criteria match".
        if target != "routeId" or chosen:
            action[target] = chosen
    if values.get("description"):
        action["description"] = values["description"]
    body: dict[str, Any] = {"action": action}
    fallback = values.get("fallbackType")
    if fallback == "FORWARD_TO_PSTN":
        body["fallback"] = {"type": fallback, "pstnNumber": values.get("fallbackPstnNumber", "")}
    elif fallback == "REJECT":
        body["fallback"] = {"type": fallback, "reason": values.get("fallbackReason") or None}
        if body["fallback"]["reason"] is None:
            del body["fallback"]["reason"]
    return body


def values_of(setup: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's values for a stored setup (the API's GET body), or for none."""
    values = dict.fromkeys(FORM_FIELDS, "")
    values["actionType"] = NO_ACTION
    if not setup:
        return values
    action = setup.get("action") or {}
    values["actionType"] = str(action.get("type") or NO_ACTION)
    for name in TARGET_FIELD.values():
        values[name] = str(action.get(name) or "")
    values["description"] = str(action.get("description") or "")
    fallback = setup.get("fallback") or {}
    values["fallbackType"] = str(fallback.get("type") or "")
    values["fallbackPstnNumber"] = str(fallback.get("pstnNumber") or "")
    values["fallbackReason"] = str(fallback.get("reason") or "")
    return values
