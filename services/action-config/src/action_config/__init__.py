"""action-config.

The one inbound voice action per number, and the routes, calls configurations and IVR scenarios
actions point to.
"""

SERVICE_NAME = "action-config"
