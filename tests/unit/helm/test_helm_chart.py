"""The Helm chart renders what a platform team expects: hardened pods, real probes, no inline
secrets, the public route table, settings the services read, and a closed network.

Renders with the helm that deploy/helm/check.py builds (`make helm-check` builds and runs all
offline checks); the scenarios are the ones that script lints and validates.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.helm.manifests import (
    CHART,
    CHECK,
    ROUTES,
    SCENARIOS,
    SERVICES,
    Manifest,
    Render,
    deployments,
    environment,
    leaves_the_cluster,
    of_kind,
    pod_specs,
    secret_settings,
    service_of,
    settings_class,
    the_container,
)

# Building helm on a cold Go cache takes minutes on two cores; rendering is quick afterwards.
pytestmark = [pytest.mark.unit, pytest.mark.timeout(1200)]

# Settings whose value may carry credentials although their type is a plain str.
CREDENTIAL_SETTINGS = {"MONGODB_URI", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"}
# Rendered only when kafka.securityProtocol is not PLAINTEXT.
KAFKA_SECURITY_SETTINGS = {
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CA_FILE",
}


@pytest.fixture(scope="session")
def rendered(helm: Path) -> dict[str, list[Manifest]]:
    render: Render = CHECK.render
    return {scenario: CHECK.documents(render(helm, scenario)) for scenario in SCENARIOS}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_container_is_hardened(rendered: dict[str, list[Manifest]], scenario: str) -> None:
    specs = list(pod_specs(rendered[scenario]))
    assert len(specs) >= len(SERVICES)
    for name, pod in specs:
        assert pod.get("automountServiceAccountToken") is False, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in pod["containers"]:
            context = pod["securityContext"] | container.get("securityContext", {})
            assert context.get("runAsNonRoot") is True, f"{name}: may run as root"
            assert context.get("runAsUser") == 10001, f"{name}: not the image's user"
            assert context.get("readOnlyRootFilesystem") is True, f"{name}: writable root"
            assert context.get("allowPrivilegeEscalation") is False, name
            assert "ALL" in context.get("capabilities", {}).get("drop", []), f"{name}: caps"
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: no writable /tmp"  # noqa: S108


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_probes_mean_something(rendered: dict[str, list[Manifest]], scenario: str) -> None:
    for service, deployment in deployments(rendered[scenario]).items():
        container = the_container(deployment)
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez", service
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", service
        assert "startupProbe" in container, f"{service}: liveness would kill a slow start"
    call_dispatch = the_container(deployments(rendered[scenario])["call-dispatch"])
    startup = call_dispatch["startupProbe"]
    budget = startup["periodSeconds"] * startup["failureThreshold"]
    assert budget >= 300, "call-dispatch needs minutes to rebuild its view"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pods_drain_before_they_are_killed(
    rendered: dict[str, list[Manifest]], scenario: str
) -> None:
    manifests = rendered[scenario]
    for service, deployment in deployments(manifests).items():
        container = the_container(deployment)
        drain = float(environment(container, manifests)["SHUTDOWN_GRACE_SECONDS"]["value"])
        sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert sleep > 0, f"{service}: no preStop pause before SIGTERM"
        assert grace > sleep + drain, f"{service}: killed before it finishes draining"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_secret_is_inlined(rendered: dict[str, list[Manifest]], scenario: str) -> None:
    manifests = rendered[scenario]
    assert not of_kind(manifests, "Secret"), "the chart must reference Secrets, not create them"
    sensitive = CREDENTIAL_SETTINGS.union(*(secret_settings(s) for s in SERVICES))
    for config_map in of_kind(manifests, "ConfigMap"):
        inlined = sensitive & config_map.get("data", {}).keys()
        assert not inlined, f"{config_map['metadata']['name']} holds {sorted(inlined)}"
    for service, deployment in deployments(manifests).items():
        container = the_container(deployment)
        for entry in container.get("env", []):
            if entry["name"] in sensitive:
                assert "value" not in entry, f"{service}: {entry['name']} is inlined"
                assert "secretKeyRef" in entry.get("valueFrom", {}), f"{service}: {entry}"
        env = environment(container, manifests)
        missing = (secret_settings(service) | {"MONGODB_URI"}) - env.keys()
        assert not missing, f"{service} cannot start without {sorted(missing)}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_env_names_are_settings_fields(rendered: dict[str, list[Manifest]], scenario: str) -> None:
    manifests = rendered[scenario]
    unknown: dict[str, set[str]] = {}
    for service, deployment in deployments(manifests).items():
        env = environment(the_container(deployment), manifests)
        assert env["OTEL_SERVICE_NAME"]["value"] == service
        assert env["HTTP_PORT"]["value"] == str(ROUTES["services"][service]["port"])
        fields = {name.upper() for name in settings_class(service).model_fields}
        names = {name for name in env if not name.startswith("OTEL_")} - fields
        if names:
            unknown[service] = names
    assert not unknown, f"no Settings field reads {unknown}"


KAFKA_SETTINGS = {"KAFKA_BOOTSTRAP_SERVERS"} | KAFKA_SECURITY_SETTINGS


@pytest.mark.parametrize("scenario", ["prod", "kafka-sasl"])
def test_production_kafka_is_sasl_ssl_from_secrets(
    rendered: dict[str, list[Manifest]], scenario: str
) -> None:
    manifests = rendered[scenario]
    for service, deployment in deployments(manifests).items():
        container = the_container(deployment)
        env = environment(container, manifests)
        assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL", service
        for name in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
            assert "secretKeyRef" in env[name]["valueFrom"], f"{service}: {name}"
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        ca_file = env["KAFKA_SSL_CA_FILE"]["value"]
        assert ca_file.startswith(mounts["kafka-ca"] + "/"), f"{service}: CA not mounted"
    for deployment in deployments(rendered["default"]).values():
        env = environment(the_container(deployment), rendered["default"])
        assert not KAFKA_SECURITY_SETTINGS & env.keys(), "PLAINTEXT needs no Kafka security env"


def _kafka_settings(container: Manifest, manifests: list[Manifest]) -> dict[str, Manifest]:
    env = environment(container, manifests)
    return {name: env[name] for name in KAFKA_SETTINGS & env.keys()}


@pytest.mark.parametrize("scenario", ["default", "prod"])
def test_topic_job_carries_the_deployments_kafka_settings(
    rendered: dict[str, list[Manifest]], scenario: str
) -> None:
    manifests = rendered[scenario]
    (job,) = of_kind(manifests, "Job")
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    job_settings = _kafka_settings(container, manifests)
    for service, deployment in deployments(manifests).items():
        assert _kafka_settings(the_container(deployment), manifests) == job_settings, service
    if scenario == "prod":
        assert job_settings["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert job_settings["KAFKA_SSL_CA_FILE"]["value"].startswith(mounts["kafka-ca"] + "/")
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["kafka-ca"]["secret"]["secretName"] == "callplane-kafka-ca"


def test_a_service_may_have_its_own_kafka_principal(rendered: dict[str, list[Manifest]]) -> None:
    manifests = rendered["kafka-sasl"]
    for service, deployment in deployments(manifests).items():
        env = environment(the_container(deployment), manifests)
        secret = env["KAFKA_SASL_USERNAME"]["valueFrom"]["secretKeyRef"]["name"]
        expected = (
            "callplane-kafka-inventory" if service == "number-inventory" else "callplane-kafka"
        )
        assert secret == expected, service


def _ingress_routes(manifests: list[Manifest]) -> dict[str, list[dict[str, Any]]]:
    """Ingress name -> its routes, written as in deploy/routes.yaml."""
    services = {m["metadata"]["name"]: service_of(m) for m in of_kind(manifests, "Service")}
    found: dict[str, list[dict[str, Any]]] = {}
    for ingress in of_kind(manifests, "Ingress"):
        size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        for path in ingress["spec"]["rules"][0]["http"]["paths"]:
            assert path["pathType"] == "Prefix"
            service = services[path["backend"]["service"]["name"]]
            port = path["backend"]["service"]["port"]["number"]
            assert port == ROUTES["services"][service]["port"]
            route = {"prefix": path["path"], "service": service, "maxBody": size}
            found.setdefault(ingress["metadata"]["name"], []).append(route)
    return found


def _flat(groups: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return sorted((route for routes in groups for route in routes), key=str)


def test_ingress_routes_are_deploy_routes_yaml(rendered: dict[str, list[Manifest]]) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["ingress"]["routes"] == ROUTES["routes"], "values.yaml ingress.routes drifted"
    ports = {name: spec["port"] for name, spec in values["services"].items()}
    assert ports == {name: spec["port"] for name, spec in ROUTES["services"].items()}

    def plain(internal: bool) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in r.items() if k != "internal"}
            for r in ROUTES["routes"]
            if bool(r.get("internal")) is internal
        ]

    public, internal = plain(internal=False), plain(internal=True)
    by_ingress = _ingress_routes(rendered["default"])
    assert all(name.startswith("callplane-public-") for name in by_ingress)
    assert _flat(by_ingress.values()) == sorted(public, key=str)
    with_internal = _ingress_routes(rendered["kafka-sasl"])
    routed = [routes for name, routes in with_internal.items() if "-internal-" in name]
    assert _flat(routed) == sorted(internal, key=str)


def test_operator_endpoints_are_never_on_the_public_ingress(
    rendered: dict[str, list[Manifest]],
) -> None:
    for scenario, manifests in rendered.items():
        for name, routes in _ingress_routes(manifests).items():
            operator = {r["prefix"] for r in routes} & {"/admin/1/", "/dispatch/1/"}
            assert "-public-" not in name or not operator, f"{scenario}: {name} has {operator}"
    for ingress in of_kind(rendered["kafka-sasl"], "Ingress"):
        if "-internal-" in ingress["metadata"]["name"]:
            annotations = ingress["metadata"]["annotations"]
            allow = annotations["nginx.ingress.kubernetes.io/whitelist-source-range"]
            assert allow == "10.0.0.0/8"


def test_prod_keeps_two_replicas_and_a_pdb_per_service(
    rendered: dict[str, list[Manifest]],
) -> None:
    manifests = rendered["prod"]
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in of_kind(manifests, "HorizontalPodAutoscaler")
    }
    budgets = of_kind(manifests, "PodDisruptionBudget")
    for service, deployment in deployments(manifests).items():
        name = deployment["metadata"]["name"]
        hpa = autoscalers.get(name)
        floor = hpa["spec"]["minReplicas"] if hpa else deployment["spec"].get("replicas", 1)
        # The console too: its sessions are sealed into their cookie, so any replica serves them.
        assert floor >= 2, f"{service} can drop to one pod"
        if hpa:
            assert "replicas" not in deployment["spec"], f"{service}: upgrades reset the HPA"
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(covering) == 1, f"{service} has {len(covering)} PodDisruptionBudgets"


def test_dev_is_small(rendered: dict[str, list[Manifest]]) -> None:
    manifests = rendered["dev"]
    assert not of_kind(manifests, "HorizontalPodAutoscaler")
    assert not of_kind(manifests, "PodDisruptionBudget")
    for service, deployment in deployments(manifests).items():
        assert deployment["spec"]["replicas"] == 1, service


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_only_the_webhook_senders_reach_the_internet(
    rendered: dict[str, list[Manifest]], scenario: str
) -> None:
    policies = of_kind(rendered[scenario], "NetworkPolicy")
    default_deny = [
        p
        for p in policies
        if set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert default_deny, "no default-deny NetworkPolicy"
    selected = set()
    for policy in policies:
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        owner = selector.get("app.kubernetes.io/name")
        if owner:
            selected.add(owner)
        for rule in policy["spec"].get("egress", []):
            if leaves_the_cluster(rule):
                # Customer webhooks: masking callbacks and reports, call events, IVR and
                # balance notifications.
                assert owner in {
                    "number-masking",
                    "call-records",
                    "action-config",
                    "number-inventory",
                }, f"{policy['metadata']['name']} opens egress"
        for rule in policy["spec"].get("ingress", []):
            assert rule.get("from"), f"{policy['metadata']['name']} admits any source"
    assert set(SERVICES) <= selected, "a service has no NetworkPolicy of its own"
    masking = [
        p
        for p in policies
        if p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == "number-masking"
    ]
    assert any(leaves_the_cluster(r) for p in masking for r in p["spec"]["egress"]), (
        "number-masking cannot reach customer callbacks"
    )


def test_topics_job_runs_before_install_and_upgrade(rendered: dict[str, list[Manifest]]) -> None:
    values = yaml.safe_load((CHART / "values-prod.yaml").read_text())
    (job,) = of_kind(rendered["prod"], "Job")
    hooks = set(job["metadata"]["annotations"]["helm.sh/hook"].split(","))
    assert hooks == {"pre-install", "pre-upgrade"}
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:3] == ["python", "-m", "callplane_shared.topics"]
    factor = args[args.index("--replication-factor") + 1]
    assert factor == str(values["kafka"]["topics"]["replicationFactor"])


@pytest.mark.parametrize(
    ("assignment", "complaint"),
    [
        ("services.call-dispatch.replicas=0", "'/services/call-dispatch/replicas'"),
        ("image.digest=sha256:123", "'/image/digest'"),
        ("kafka.securityProtocol=SASL", "'/kafka/securityProtocol': value must be one of"),
        ("services.call-dispatch.env.log_level=DEBUG", "'log_level' not allowed"),
    ],
)
def test_schema_rejects_a_wrong_value(helm: Path, assignment: str, complaint: str) -> None:
    render: Render = CHECK.render
    with pytest.raises(subprocess.CalledProcessError) as failure:
        render(helm, "default", "--set", assignment)
    assert "values don't meet the specifications of the schema" in failure.value.stderr
    assert complaint in failure.value.stderr


def test_metrics_scrapers_are_admitted_only_where_configured(
    rendered: dict[str, list[Manifest]],
) -> None:
    def sources(scenario: str) -> list[Any]:
        policies = of_kind(rendered[scenario], "NetworkPolicy")
        return [
            peer for p in policies for rule in p["spec"].get("ingress", []) for peer in rule["from"]
        ]

    monitoring = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    }
    assert monitoring in sources("prod")
    assert monitoring not in sources("default")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_only_the_console_reaches_jaegers_query_api(
    rendered: dict[str, list[Manifest]], scenario: str
) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())["networkPolicy"]["traceQuery"]

    def reaches_trace_query(policy: Manifest) -> bool:
        return any(
            rule.get("to") == values["peers"]
            and {p["port"] for p in rule.get("ports", [])} == set(values["ports"])
            for rule in policy["spec"].get("egress", [])
        )

    policies = of_kind(rendered[scenario], "NetworkPolicy")
    owners = {
        p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
        for p in policies
        if reaches_trace_query(p)
    }
    assert owners == {"console"}, "the operators' waterfall needs Jaeger's query API, only there"
