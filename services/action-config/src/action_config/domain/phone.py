"""Phone numbers through `phonenumbers` only: no hand-written E.164 parsing."""

from __future__ import annotations

import phonenumbers

from action_config.domain.refusals import Refusal, invalid


def to_e164(value: str, field: str) -> str:
    """`value` (with or without '+') as E.164, or a refusal naming `field`."""
    text = value.strip()
    candidate = text if text.startswith("+") else f"+{text}"
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException as exc:
        raise invalid(
            field, f"{value!r} is not a phone number: use E.164, e.g. 41793026731"
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise invalid(field, f"{value!r} is not a valid phone number in any country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def forward_target(value: str, field: str, own_number: str) -> str:
    """A number calls may be forwarded to: valid, and not the number being called."""
    e164 = to_e164(value, field)
    if e164 == own_number:
        raise Refusal(400, f"{field} must differ from the number itself ({own_number})", field)
    return e164
