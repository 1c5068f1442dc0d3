"""Infobip-shaped call events for calls decided to a calls configuration: derived from the call
record (`domain`), queued durably per subscription (`queue`), delivered in order per call through
the shared webhook client (`delivery`)."""
