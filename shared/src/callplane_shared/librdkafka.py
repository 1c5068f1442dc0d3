"""What the librdkafka (confluent-kafka) clients share: call-dispatch's hot path and every
service's views. Their connection options, and how they read a batch. Apart from
`callplane_shared.kafka` so that call-dispatch, which has no FastStream broker, does not import
FastStream (0.2 s of its start-up)."""

from __future__ import annotations

from confluent_kafka import Consumer, KafkaError, KafkaException, Message

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


def read_batch(consumer: Consumer, max_records: int, wait_seconds: float) -> list[Message]:
    """Up to `max_records` messages, or [] after `wait_seconds` with none; error events
    (partition EOF, transient broker errors) come back among them for the caller to read.

    `consume(n, timeout)` waits for n messages or the whole timeout, so a lone record would wait
    it out: this waits for the first one only, then takes what is already there. A fatal error
    (e.g. a static member fenced after its session timed out) is raised: the consumer is
    unusable, so the supervised loop that reads it dies and the process stops being live."""
    first = consumer.poll(wait_seconds)
    if first is None:
        return []
    messages = [first, *consumer.consume(max_records - 1, 0)]
    for message in messages:
        error = message.error()
        # librdkafka announces a fatal error with an event of code _FATAL whose own fatal flag
        # is not set (a fenced static member came through so, and was read past as a warning
        # while the process stayed live and decided nothing): either sign is fatal.
        if error is not None and (error.fatal() or error.code() == KafkaError._FATAL):  # noqa: SLF001
            raise KafkaException(error)
    return messages
