"""Connection options for the librdkafka (confluent-kafka) clients: call-dispatch's hot path
and every service's views. Apart from `callplane_shared.kafka` so that call-dispatch, which has
no FastStream broker, does not import FastStream to read them (0.2 s of its start-up)."""

from __future__ import annotations

from callplane_shared.settings import ServiceSettings


def sasl_credentials(settings: ServiceSettings) -> tuple[str, str, str]:
    """(mechanism, username, password) of a SASL protocol, for either client library."""
    if not (settings.kafka_sasl_mechanism and settings.kafka_sasl_username):
        msg = "KAFKA_SASL_MECHANISM and KAFKA_SASL_USERNAME are required for SASL protocols"
        raise ValueError(msg)
    password = settings.kafka_sasl_password
    return (
        settings.kafka_sasl_mechanism,
        settings.kafka_sasl_username,
        password.get_secret_value() if password else "",
    )


def librdkafka_options(settings: ServiceSettings) -> dict[str, str]:
    """The same connection as `client_options`, in librdkafka's configuration names, for the
    confluent-kafka clients (call-dispatch's loop, the views)."""
    options = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_ssl_ca_file and settings.kafka_security_protocol.endswith("SSL"):
        options["ssl.ca.location"] = settings.kafka_ssl_ca_file
    if settings.kafka_security_protocol.startswith("SASL"):
        mechanism, username, password = sasl_credentials(settings)
        options |= {"sasl.mechanism": mechanism, "sasl.username": username}
        options["sasl.password"] = password
    return options
