"""console.

The web console: server-rendered pages over the public API (numbers, voice actions, payments,
call history) for customers, and a call's trace as a waterfall for operators. It stores only
browser sessions; everything else it asks the public API for, with the signed-in user's key.
"""

SERVICE_NAME = "console"
