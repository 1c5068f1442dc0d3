"""The chart's optional sip-edge adapter: absent unless enabled; when enabled, one hardened pod
whose settings the adapter reads, closed in by its own NetworkPolicy except Kamailio's evapi."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callplane_sip_edge.settings import Settings
from tests.unit.helm.manifests import (
    CHECK,
    Manifest,
    environment,
    of_kind,
    service_of,
    the_container,
)

pytestmark = [pytest.mark.unit, pytest.mark.timeout(1200)]


def edge_objects(helm: Path, scenario: str) -> list[Manifest]:
    manifests: list[Manifest] = CHECK.documents(CHECK.render(helm, scenario))
    return [
        m
        for m in manifests
        if m["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "sip-edge"
    ]


def test_the_adapter_is_off_by_default(helm: Path) -> None:
    assert edge_objects(helm, "default") == []
    assert edge_objects(helm, "prod") == []


def test_enabled_it_is_one_hardened_pod_reading_only_its_settings(
    helm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = CHECK.documents(CHECK.render(helm, "sip-edge"))
    deployment = next(d for d in of_kind(manifests, "Deployment") if service_of(d) == "sip-edge")
    assert deployment["spec"]["replicas"] == 1  # evapi sends every adapter every call
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    container = the_container(deployment)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = {n: str(e.get("value")) for n, e in environment(container, manifests).items()}
    fields = {name.upper() for name in Settings.model_fields}
    assert {n for n in env if not n.startswith("OTEL_")} <= fields
    assert env["OTEL_SERVICE_NAME"] == "sip-edge"
    assert json.loads(env["SIP_GATEWAYS"]) == {"+41": "sip:ch.carrier.example:5060"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()  # the adapter starts with what the chart gives it
    assert settings.sip_timeout_route_uri == "sip:fallback@pbx.example"


def test_its_network_policy_lets_it_reach_kamailios_evapi(helm: Path) -> None:
    policy = next(p for p in edge_objects(helm, "sip-edge") if p["kind"] == "NetworkPolicy")
    ports = [port for rule in policy["spec"]["egress"] for port in rule.get("ports", [])]
    assert {"port": 5070, "protocol": "TCP"} in ports
    # Nobody calls the adapter; only a configured metrics scraper may read /metrics.
    assert all(
        p == {"port": "http", "protocol": "TCP"}
        for rule in policy["spec"]["ingress"]
        for p in rule["ports"]
    )
