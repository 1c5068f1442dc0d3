"""Pure rules of number masking: no Kafka, MongoDB or HTTP imports here."""
