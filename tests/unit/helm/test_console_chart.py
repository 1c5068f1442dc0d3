"""The console's operator calls in the chart: with internalIngress enabled its Deployment is
told the internal Ingress controller's Service and host (values it is given win), and the
NetworkPolicies let it reach that controller and the controller reach the operator services;
with internalIngress off, none of it is rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.helm.manifests import (
    CHART,
    CHECK,
    ROUTES,
    Manifest,
    deployments,
    environment,
    of_kind,
    service_of,
    the_container,
)

pytestmark = [pytest.mark.unit, pytest.mark.timeout(1200)]

OPERATOR_SETTINGS = {"CONSOLE_OPERATOR_API_BASE_URL", "CONSOLE_OPERATOR_API_HOST"}
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
# kafka-sasl (deploy/helm/check.py) enables the internal Ingress, its controller elsewhere.
ON = dict(a.split("=", 1) for a in CHECK.SCENARIOS["kafka-sasl"][1])
INTERNAL_NS = ON["internalIngress.controllerNamespace"]
OPERATOR_SERVICES = {r["service"] for r in ROUTES["routes"] if r.get("internal")}


def console_env(manifests: list[Manifest]) -> dict[str, Any]:
    container = the_container(deployments(manifests)["console"])
    env = environment(container, manifests)
    return {name: env[name].get("value") for name in OPERATOR_SETTINGS & env.keys()}


def policies(manifests: list[Manifest]) -> dict[str, Manifest]:
    """Each service's own NetworkPolicy (not the default deny), by service."""
    found = of_kind(manifests, "NetworkPolicy")
    return {
        service_of(p): p
        for p in found
        if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
    }


def namespaces(peers: list[Manifest]) -> set[str]:
    return {
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for p in peers
        if "namespaceSelector" in p and not p.get("podSelector")
    }


def egress_to(policy: Manifest, namespace: str) -> set[int]:
    return {
        port["port"]
        for rule in policy["spec"].get("egress", [])
        if namespace in namespaces(rule.get("to", []))
        for port in rule["ports"]
    }


def admitted(policy: Manifest) -> set[str]:
    return set().union(*(namespaces(r["from"]) for r in policy["spec"].get("ingress", [])))


def test_the_console_is_told_the_internal_ingress_only_when_it_is_on(helm: Path) -> None:
    off = CHECK.documents(CHECK.render(helm, "default"))
    assert console_env(off) == {}
    on = CHECK.documents(CHECK.render(helm, "kafka-sasl"))
    assert console_env(on) == {
        "CONSOLE_OPERATOR_API_BASE_URL": ON["internalIngress.controllerUrl"],
        "CONSOLE_OPERATOR_API_HOST": VALUES["internalIngress"]["host"],
    }


def test_the_consoles_own_setting_wins_over_the_internal_ingress(helm: Path) -> None:
    stream = CHECK.render(
        helm, "kafka-sasl", "--set", "services.console.env.CONSOLE_OPERATOR_API_HOST=ops.example"
    )
    env = console_env(CHECK.documents(stream))
    assert env["CONSOLE_OPERATOR_API_HOST"] == "ops.example"
    assert env["CONSOLE_OPERATOR_API_BASE_URL"] == ON["internalIngress.controllerUrl"]
    assert stream.count("CONSOLE_OPERATOR_API_HOST:") == 1, "a key twice in one ConfigMap"


def test_the_console_reaches_the_internal_controller_and_it_the_operator_services(
    helm: Path,
) -> None:
    on = policies(CHECK.documents(CHECK.render(helm, "kafka-sasl")))
    assert egress_to(on["console"], INTERNAL_NS) == {80, 443}
    admitting = {service for service, policy in on.items() if INTERNAL_NS in admitted(policy)}
    assert admitting == OPERATOR_SERVICES
    off = policies(CHECK.documents(CHECK.render(helm, "default")))
    public = VALUES["networkPolicy"]["ingressControllerNamespace"]
    console_egress = [rule for rule in off["console"]["spec"]["egress"] if "to" in rule]
    assert [namespaces(rule["to"]) for rule in console_egress].count({public}) == 1
    assert all(admitted(policy) <= {public} for policy in off.values())


@pytest.mark.parametrize("scenario", CHECK.SCENARIOS)
def test_the_console_calls_a_controller_over_https_exactly_when_its_ingress_has_tls(
    helm: Path, scenario: str
) -> None:
    # ingress-nginx redirects plain http to https for a host with TLS; the console does not
    # follow redirects, and over https without TLS it would meet the controller's fake cert.
    manifests = CHECK.documents(CHECK.render(helm, scenario))
    container = the_container(deployments(manifests)["console"])
    env = {name: entry.get("value") for name, entry in environment(container, manifests).items()}
    for audience, setting in (
        ("public", "CONSOLE_API_BASE_URL"),
        ("internal", "CONSOLE_OPERATOR_API_BASE_URL"),
    ):
        ingresses = [
            i for i in of_kind(manifests, "Ingress") if f"-{audience}-" in i["metadata"]["name"]
        ]
        if not ingresses:
            continue
        tls = {bool(i["spec"].get("tls")) for i in ingresses}
        assert len(tls) == 1, f"{scenario}: {audience} Ingresses disagree on TLS"
        assert str(env[setting]).startswith("https://") == tls.pop(), f"{scenario}: {setting}"
