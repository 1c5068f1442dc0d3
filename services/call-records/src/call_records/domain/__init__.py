"""Pure rules of call-records: rating and the call log. No Kafka, MongoDB or HTTP here."""
