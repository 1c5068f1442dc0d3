"""Grafana dashboards, their provisioning and the Prometheus config agree with the metrics the
services define: a renamed metric or label fails here, not on a blank panel during an incident."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from faststream.prometheus.container import MetricsContainer
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from callplane_shared import metrics

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
DASHBOARD_FILES = (
    "call-flow.json",
    "masking-health.json",
    "kafka.json",
    "service-red.json",
    "money.json",
)
SERVICES = ("number-inventory", "action-config", "call-dispatch", "number-masking", "call-records")
JAEGER_UI = "http://localhost:16686/"
GRAFANA_DASHBOARDS_PATH = "/var/lib/grafana/dashboards"
TARGET_LABELS = frozenset({"job", "instance"})  # Prometheus adds them to every scraped series

METRIC_NAME = re.compile(r"\b(?:callplane|faststream)_\w+")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*\"")
LABEL_VALUES = re.compile(r"label_values\(\s*(\w+)\s*,\s*(\w+)\s*\)")


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def load_dashboard(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DASHBOARDS / name).read_text())
    return data


def series_of(collector: MetricWrapperBase) -> dict[str, frozenset[str]]:
    """The series names a collector exposes, each with the label names it carries."""
    # prometheus_client has no public accessor for a metric's label names.
    labels = frozenset(collector._labelnames) | TARGET_LABELS  # noqa: SLF001
    series: dict[str, frozenset[str]] = {}
    for family in collector.describe():
        if family.type == "counter":
            series |= {f"{family.name}_total": labels, f"{family.name}_created": labels}
        elif family.type == "histogram":
            series |= {f"{family.name}_{suffix}": labels for suffix in ("sum", "count", "created")}
            series[f"{family.name}_bucket"] = labels | {"le"}
        else:
            series[family.name] = labels
    return series


def defined_series() -> dict[str, frozenset[str]]:
    """Ours from callplane_shared.metrics, FastStream's as its Kafka middleware registers them."""
    faststream = MetricsContainer(CollectorRegistry(), custom_label_names=())
    collectors = [value for value in vars(metrics).values() if isinstance(value, MetricWrapperBase)]
    collectors += [getattr(faststream, slot) for slot in MetricsContainer.__slots__]
    series: dict[str, frozenset[str]] = {}
    for collector in collectors:
        if isinstance(collector, MetricWrapperBase):
            series |= series_of(collector)
    return series


SERIES = defined_series()


def label_problems(expr: str) -> list[str]:
    """Unknown metric names in `expr`, and labels not carried by every metric it uses."""
    names = set(METRIC_NAME.findall(expr))
    if not names:
        return [f"queries no callplane_/faststream_ metric: {expr}"]
    unknown = sorted(names - SERIES.keys())
    if unknown:
        return [f"undefined metrics {unknown} in {expr}"]
    carried = frozenset.intersection(*(SERIES[name] for name in names))
    used = {label.strip() for group in GROUPING.findall(expr) for label in group.split(",")}
    used = (used | set(MATCHER.findall(expr))) - {""}
    return [f"label {label!r} is not on {sorted(names)}" for label in sorted(used - carried)]


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = dashboard["panels"]
    return found


def provisioned_uids() -> set[str]:
    datasources = load_yaml(GRAFANA / "provisioning/datasources/datasources.yaml")["datasources"]
    return {source["uid"] for source in datasources}


def test_defined_series_are_read_from_the_metric_modules() -> None:
    assert "callplane_decisions_total" in SERIES, "callplane_shared.metrics was not read"
    assert "faststream_received_messages_total" in SERIES, "FastStream's metrics were not read"
    assert "le" in SERIES["callplane_decision_latency_seconds_bucket"]
    assert "reason" in SERIES["callplane_decisions_total"]


def test_the_expression_check_rejects_unknown_metrics_and_labels() -> None:
    assert label_problems("sum by (reason) (rate(callplane_decisions_total[5m]))") == []
    assert label_problems("rate(callplane_no_such_metric_total[5m])")
    assert label_problems("sum by (reason) (rate(callplane_dlq_records_total[5m]))")
    assert label_problems('sum(rate(callplane_dlq_records_total{nope="x"}[5m]))')
    assert label_problems("sum(up)")


def test_the_dashboard_directory_holds_exactly_the_listed_dashboards() -> None:
    assert sorted(path.name for path in DASHBOARDS.glob("*.json")) == sorted(DASHBOARD_FILES)


def test_dashboard_uids_are_unique() -> None:
    uids = [load_dashboard(name).get("uid") for name in DASHBOARD_FILES]
    assert all(uids), f"a dashboard has no fixed uid: {uids}"
    assert len(set(uids)) == len(uids), f"duplicate dashboard uids: {uids}"


def test_datasources_have_fixed_uids_and_compose_addresses() -> None:
    datasources = load_yaml(GRAFANA / "provisioning/datasources/datasources.yaml")["datasources"]
    by_uid = {source["uid"]: source for source in datasources}
    assert by_uid["prometheus"]["url"] == "http://prometheus:9090"
    assert by_uid["prometheus"]["type"] == "prometheus"
    assert by_uid["jaeger"]["url"] == "http://jaeger:16686"
    assert by_uid["jaeger"]["type"] == "jaeger"


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_every_panel_uses_a_provisioned_datasource(name: str) -> None:
    dashboard = load_dashboard(name)
    references = [panel["datasource"] for panel in panels(dashboard)]
    references += [
        target["datasource"] for panel in panels(dashboard) for target in panel["targets"]
    ]
    references += [v["datasource"] for v in dashboard["templating"]["list"] if "datasource" in v]
    assert references, f"{name} has no panels"
    unknown = [ref for ref in references if ref.get("uid") not in provisioned_uids()]
    assert not unknown, f"{name}: datasources not provisioned: {unknown}"


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_every_query_uses_defined_metrics_and_their_labels(name: str) -> None:
    dashboard = load_dashboard(name)
    exprs = [target["expr"] for panel in panels(dashboard) for target in panel["targets"]]
    assert exprs, f"{name} has no queries"
    problems = [problem for expr in exprs for problem in label_problems(expr)]
    for variable in dashboard["templating"]["list"]:
        for metric, label in LABEL_VALUES.findall(json.dumps(variable.get("query", ""))):
            if label not in SERIES.get(metric, frozenset()):
                problems.append(f"variable {variable['name']}: {metric} has no label {label}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", DASHBOARD_FILES)
def test_dashboard_and_every_panel_link_to_jaeger(name: str) -> None:
    dashboard = load_dashboard(name)
    assert any(link["url"].startswith(JAEGER_UI) for link in dashboard["links"]), name
    unlinked = [
        panel["title"]
        for panel in panels(dashboard)
        if not any(
            link["url"].startswith(JAEGER_UI) for link in panel["fieldConfig"]["defaults"]["links"]
        )
    ]
    assert not unlinked, f"{name}: panels without a link to Jaeger: {unlinked}"


def test_committed_dashboards_are_the_generators_output() -> None:
    spec = importlib.util.spec_from_file_location("grafana_generate", GRAFANA / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rendered: dict[str, str] = generator.render()
    assert sorted(rendered) == sorted(DASHBOARD_FILES)
    stale = [name for name, text in rendered.items() if (DASHBOARDS / name).read_text() != text]
    assert not stale, f"out of date, run `uv run python deploy/grafana/generate.py`: {stale}"


def test_grafana_loads_the_dashboards_that_compose_mounts() -> None:
    providers = load_yaml(GRAFANA / "provisioning/dashboards/dashboards.yaml")["providers"]
    assert [provider["options"]["path"] for provider in providers] == [GRAFANA_DASHBOARDS_PATH]
    grafana = load_yaml(ROOT / "docker-compose.yml")["services"]["grafana"]
    assert grafana["profiles"] == ["observability"]
    assert f"./deploy/grafana/dashboards:{GRAFANA_DASHBOARDS_PATH}:ro" in grafana["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]


@pytest.mark.parametrize("service", SERVICES)
def test_prometheus_scrapes_each_service_as_its_own_job(service: str) -> None:
    compose = load_yaml(ROOT / "docker-compose.yml")["services"]
    config = load_yaml(ROOT / "deploy/prometheus/prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert service in jobs, f"prometheus.yml has no job {service}"
    job = jobs[service]
    assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "5s"
    ports = [str(port) for port in compose[service]["expose"]]
    targets = [target for group in job["static_configs"] for target in group["targets"]]
    assert targets == [f"{service}:{port}" for port in ports]
    # A target label `service` would push our metrics' own label aside as `exported_service`.
    assert all("service" not in group.get("labels", {}) for group in job["static_configs"])
    relabelled = [rule.get("target_label") for rule in job.get("relabel_configs", [])]
    assert "service" not in relabelled
    assert "prometheus.yml:/etc/prometheus/prometheus.yml" in " ".join(
        compose["prometheus"]["volumes"]
    )
