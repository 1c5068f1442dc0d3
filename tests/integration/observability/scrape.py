"""Reading a service's Prometheus exposition through nginx, as Prometheus would."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
SERVICES = ("number-inventory", "action-config", "call-dispatch", "number-masking", "call-records")


async def scrape(client: httpx.AsyncClient, service: str) -> Samples:
    reply = await client.get(f"/_services/{service}/metrics")
    reply.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One series' value; 0 when the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def series(samples: Samples, name: str) -> list[dict[str, str]]:
    """The label sets of every series of `name`."""
    return [dict(labels) for sample_name, labels in samples if sample_name == name]
