"""Phone numbers through the shared normaliser (`callplane_shared.phone`), as refusals."""

from __future__ import annotations

from action_config.domain.refusals import Refusal, invalid
from callplane_shared import phone


def to_e164(value: str, field: str) -> str:
    """`value` (with or without '+') as E.164, or a refusal naming `field`."""
    try:
        return phone.to_e164(value)
    except phone.InvalidPhoneNumberError as exc:
        raise invalid(field, f"{exc}: use E.164, e.g. 41793026731") from exc


def forward_target(value: str, field: str, own_number: str) -> str:
    """A number calls may be forwarded to: valid, and not the number being called."""
    e164 = to_e164(value, field)
    if e164 == own_number:
        raise Refusal(400, f"{field} must differ from the number itself ({own_number})", field)
    return e164
