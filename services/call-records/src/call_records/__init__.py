"""call-records.

Keeps one record per call (inbound call, decision, status timeline), answers the customer's call
history and the operator's lookup, rates finished legs and publishes their charges.
"""

SERVICE_NAME = "call-records"
