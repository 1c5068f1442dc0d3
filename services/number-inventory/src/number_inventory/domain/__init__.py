"""Pure rules of number-inventory: money, the number pool, search and balance alerts.

Nothing in this package imports Kafka, MongoDB or HTTP.
"""
