"""Runs callplane's local stack without Docker: Kafka, FerretDB, Jaeger, nginx and the services
as plain processes, provisioned into a cache folder and reused on the next run."""
