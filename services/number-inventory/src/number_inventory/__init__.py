"""number-inventory.

The pool of voice numbers: search, lease and release; accounts, API keys, balance and top-up.
"""

SERVICE_NAME = "number-inventory"
