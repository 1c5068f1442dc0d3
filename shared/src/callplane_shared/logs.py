"""JSON log lines that an on-call engineer can join with traces: every line carries the service
name and, inside a span, `trace_id` and `span_id`; inside a call's handling, `callId`."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from callplane_shared.kafka_outages import outage_filter

current_call_id: ContextVar[str | None] = ContextVar("current_call_id", default=None)
"""Set by handlers while they work on one call, so every log line of that work names it."""


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            payload["trace_id"] = format(context.trace_id, "032x")
            payload["span_id"] = format(context.span_id, "016x")
        call_id = getattr(record, "call_id", None) or current_call_id.get()
        if call_id:
            payload["callId"] = call_id
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for the root logger and uvicorn's loggers alike (uvicorn takes it as-is)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        # aiokafka's repeated errors during a broker outage, folded (see kafka_outages).
        "filters": {"kafka_outages": {"()": outage_filter, "service": service}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
                "filters": ["kafka_outages"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["stdout"], "level": level, "propagate": False},
            # Health probes every few seconds would drown everything else.
            "uvicorn.access": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
            "aiokafka": {"level": "WARNING"},
        },
    }
