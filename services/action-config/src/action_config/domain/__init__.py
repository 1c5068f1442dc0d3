"""Pure rules of action-config: no Kafka, MongoDB or HTTP in here."""
