"""call-dispatch.

Decides every inbound call from an in-memory view of voice actions and routes; no database or
HTTP on that path.
"""

SERVICE_NAME = "call-dispatch"
