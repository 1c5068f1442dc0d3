"""Infobip's Subscriptions API for the VOICE_VIDEO channel: which of a customer's webhooks hear
about calls decided to a calls configuration (`call_events` delivers them)."""
