"""aiokafka's error lines during a broker outage, folded into one start and one end per component.

While the broker is gone, every aiokafka component (connection, fetcher, coordinator, sender)
logs an ERROR about twenty times a second; a 13 s outage buried the log in hundreds of identical
lines. This filter, installed on the service's log handler, lets the first WARNING-or-worse line
of a component through as a WARNING saying repeats are suppressed, drops the repeats, and once
the component has been quiet for `QUIET_SECONDS`, `tick` (a supervised periodic task) logs one
WARNING with how long the trouble lasted. Both ends are counted
(`callplane_kafka_outages_total`, `callplane_kafka_outage_seconds_total`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from callplane_shared.metrics import KAFKA_OUTAGE_SECONDS, KAFKA_OUTAGES

logger = logging.getLogger(__name__)

QUIET_SECONDS = 5.0
_SEEN = "_callplane_outage_keep"  # one decision per record, however many handlers see it


@dataclass
class _Outage:
    started: float
    last: float
    suppressed: int = 0


class KafkaOutageLog(logging.Filter):
    def __init__(
        self, quiet_seconds: float = QUIET_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.service = "callplane"
        self._quiet = quiet_seconds
        self._clock = clock
        self._open: dict[str, _Outage] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("aiokafka") or record.levelno < logging.WARNING:
            return True
        seen: bool | None = getattr(record, _SEEN, None)
        if seen is not None:
            return seen
        now = self._clock()
        outage = self._open.get(record.name)
        if outage is None:
            self._open[record.name] = _Outage(now, now)
            KAFKA_OUTAGES.labels(self.service, record.name).inc()
            first = record.getMessage()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Kafka trouble in %s: %s (repeats suppressed until %.0f s quiet)"
            record.args = (record.name, first[:500], self._quiet)
            record.exc_info, record.exc_text = None, None
            keep = True
        else:
            outage.last = now
            outage.suppressed += 1
            keep = False
        setattr(record, _SEEN, keep)
        return keep

    @property
    def open(self) -> list[str]:
        """Components currently in trouble."""
        return sorted(self._open)

    def tick(self) -> None:
        """End the outages of components that have been quiet long enough, one line each."""
        now = self._clock()
        for name, outage in list(self._open.items()):
            if now - outage.last < self._quiet:
                continue
            del self._open[name]
            lasted = outage.last - outage.started
            KAFKA_OUTAGE_SECONDS.labels(self.service, name).inc(lasted)
            logger.warning(
                "Kafka trouble in %s over: it lasted %.1f s (%d repeated lines suppressed)",
                name,
                lasted,
                outage.suppressed,
            )


OUTAGES = KafkaOutageLog()
"""The process's filter: one per process, like its log handler."""


def outage_filter(service: str) -> KafkaOutageLog:
    """The factory `logging_config` names (dictConfig builds filters from factories)."""
    OUTAGES.service = service
    return OUTAGES


async def end_quiet_outages() -> None:
    """The periodic pass the runtime supervises."""
    OUTAGES.tick()
