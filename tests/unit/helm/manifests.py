"""Loading and reading the chart's rendered manifests for tests/unit/helm/test_helm_chart.py."""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import SecretStr

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy/helm/callplane"
ROUTES = yaml.safe_load((ROOT / "deploy/routes.yaml").read_text())
SERVICES: tuple[str, ...] = tuple(ROUTES["services"])
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)

Manifest = dict[str, Any]
Render = Callable[..., str]


def load_check_script() -> Any:
    spec = importlib.util.spec_from_file_location("helm_check", ROOT / "deploy/helm/check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK = load_check_script()
SCENARIOS: tuple[str, ...] = tuple(CHECK.SCENARIOS)


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def service_of(manifest: Manifest) -> str:
    labels: dict[str, str] = manifest["metadata"]["labels"]
    return labels["app.kubernetes.io/name"]


# Optional workloads beside the services (the reference SIP edge's adapter), tested on their own.
EDGES = {"sip-edge"}


def deployments(manifests: list[Manifest]) -> dict[str, Manifest]:
    workloads = of_kind(manifests, "Deployment")
    found = {service_of(d): d for d in workloads if service_of(d) not in EDGES}
    assert sorted(found) == sorted(SERVICES), "one Deployment per service"
    return found


def pod_specs(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for workload in manifests:
        if workload["kind"] in {"Deployment", "Job"}:
            yield workload["metadata"]["name"], workload["spec"]["template"]["spec"]


def the_container(deployment: Manifest) -> Manifest:
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def environment(container: Manifest, manifests: list[Manifest]) -> dict[str, Manifest]:
    """Every variable the container gets: its `env` plus the ConfigMaps of its `envFrom`."""
    env: dict[str, Manifest] = {}
    config_maps = {m["metadata"]["name"]: m for m in of_kind(manifests, "ConfigMap")}
    for source in container.get("envFrom", []):
        data = config_maps[source["configMapRef"]["name"]].get("data", {})
        env |= {name: {"name": name, "value": value} for name, value in data.items()}
    env |= {entry["name"]: entry for entry in container.get("env", [])}
    return env


def settings_class(service: str) -> type[BaseSettings]:
    settings: type[BaseSettings] = importlib.import_module(
        f"{service.replace('-', '_')}.settings"
    ).Settings
    return settings


def secret_settings(service: str) -> set[str]:
    fields = settings_class(service).model_fields
    return {name.upper() for name, info in fields.items() if info.annotation is SecretStr}


def leaves_the_cluster(rule: Manifest) -> bool:
    peers = rule.get("to")
    if not peers:  # no `to`: every destination
        return True
    for peer in peers:
        block = peer.get("ipBlock")
        if block is None:
            continue
        network = ipaddress.ip_network(block["cidr"])
        if not any(network.subnet_of(private) for private in PRIVATE_NETWORKS):  # type: ignore[arg-type]
            return True
    return False
