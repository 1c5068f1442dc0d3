"""What a customer may store as a webhook URL (subscriptions, balance notifications, masking
callbacks): checked when written; the address it resolves to is vetted again on every delivery by
`WebhookSender`."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_LENGTH = 512
"""Infobip's bound on `webhook.notifyUrl`."""


def check_notify_url(value: str) -> str:
    """Only absolute http(s) URLs with a host; addresses are vetted again on every delivery by
    the shared webhook client (private, loopback and metadata addresses refused there)."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"}:
        raise ValueError("must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; configure the webhook's credentials instead")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return value
