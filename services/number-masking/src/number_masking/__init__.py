"""number-masking.

Asks the customer's platform where to forward a masked call (signed callback, strict deadline)
and relays status reports.
"""

SERVICE_NAME = "number-masking"
USER_AGENT = "callplane-number-masking/1"
