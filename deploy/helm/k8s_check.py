# ruff: noqa: INP001 - a script beside the chart, not a package
"""The chart installed into a real Kubernetes API server on loopback (`make k8s-check`).

    PYTHONPATH=deploy/local uv run python deploy/helm/k8s_check.py

etcd, kube-apiserver and kube-controller-manager (stackctl.kube; built once from the Go module
proxy) run with no nodes. For every values variant that `make helm-check` renders (its
SCENARIOS, plus any values-*.yaml in the chart that they do not name), in a namespace that
enforces Pod Security `restricted`, with the Secrets the pod templates read:

- `helm install`, then `helm upgrade` with changed values, then `helm rollback` to the first
  revision: each accepted with no warning at all (any line helm prints on stderr fails: that is
  where API warnings, Pod Security warnings and unknown-field warnings arrive);
- after each, the Pods the controllers create from the Deployments exist (admission refusing
  one shows as a FailedCreate event, which fails the check);
- the hook Jobs are created and their Pods admitted; a stand-in for the kubelet reports those
  Pods Succeeded so helm's hooks complete (the real run of the topic Job needs a cluster);
- the objects of every kind the chart renders that carry the release's annotation are exactly
  the rendered ones, by kind and name.

Every process it starts is stopped when it ends, passing or failing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from stackctl.kube import ControlPlane, ControlPlaneError, control_plane
from stackctl.kubeapi import Api, ApiError, Obj
from stackctl.kubeworkloads import KubeletStandIn, pods_admitted, secret_references
from stackctl.layout import Layout
from stackctl.provision import ProvisionError

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "callplane"
RELEASE_ANNOTATION = "meta.helm.sh/release-name"  # helm sets it on every object it owns
HELM_TIMEOUT = "120s"
# What `helm upgrade` changes: a new image (pinned by digest, as values-prod.yaml asks) and a
# setting, so every Deployment rolls out a new ReplicaSet whose Pods admission judges again.
UPGRADE_SETS = (
    f"image.digest=sha256:{hashlib.sha256(b'callplane k8s-check upgrade').hexdigest()}",
    "common.logLevel=DEBUG",
)
# I1127 17:26:34.923609     928 warnings.go:107] "Warning: would violate PodSecurity \"...\""
KLOG_MESSAGE = re.compile(r'^[IWE]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ("(?:[^"\\]|\\.)*")$')
RESTRICTED = {
    f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn", "audit")
}

Scenario = tuple[tuple[str, ...], tuple[str, ...]]


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - a CLI reports on stdout


def load_helm_check() -> Any:
    spec = importlib.util.spec_from_file_location("helm_check", ROOT / "deploy/helm/check.py")
    if spec is None or spec.loader is None:
        raise SystemExit("deploy/helm/check.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HELM_CHECK = load_helm_check()


def scenarios() -> dict[str, Scenario]:
    """`make helm-check`'s scenarios, plus one per chart values file none of them uses."""
    found: dict[str, Scenario] = dict(HELM_CHECK.SCENARIOS)
    used = {name for files, _ in found.values() for name in files}
    for values in sorted(HELM_CHECK.CHART.glob("values-*.yaml")):
        if values.name not in used:
            found[values.stem.removeprefix("values-")] = ((values.name,), ())
    return found


class Helm:
    def __init__(self, binary: Path, plane: ControlPlane) -> None:
        self.binary = binary
        home = plane.workdir / "helm"
        self.env = {
            **os.environ,
            "KUBECONFIG": str(plane.kubeconfig),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }
        self.kube_version = plane.version

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.binary), *args]
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)  # noqa: S603

    def render(self, namespace: str, values: list[str]) -> list[Obj]:
        result = self.run("template", RELEASE, str(HELM_CHECK.CHART), "--namespace", namespace,
                          "--kube-version", self.kube_version, *values)  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"helm template failed:\n{result.stderr}")
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def values_args(scenario: Scenario, *extra_sets: str) -> list[str]:
    files, sets = scenario
    args = [arg for name in files for arg in ("--values", str(HELM_CHECK.CHART / name))]
    return args + [arg for item in (*sets, *extra_sets) for arg in ("--set", item)]


def is_hook(doc: Obj) -> bool:
    return "helm.sh/hook" in (doc["metadata"].get("annotations") or {})


def prepare_namespace(api: Api, namespace: str, docs: list[Obj]) -> None:
    """A namespace enforcing `restricted`, and each Secret the pod templates read, with random
    values that are never printed (the chart documents the real ones in its README)."""
    labels = {"kubernetes.io/metadata.name": namespace, **RESTRICTED}
    api.create("v1", "Namespace", "", {"metadata": {"name": namespace, "labels": labels}})
    for name, keys in sorted(secret_references(docs).items()):
        data = {key: secrets.token_hex(24) for key in sorted(keys or {"value"})}
        body = {"metadata": {"name": name}, "type": "Opaque", "stringData": data}
        api.create("v1", "Secret", namespace, body)


def kinds_match(api: Api, namespace: str, docs: list[Obj]) -> list[str]:
    """The release's objects on the server, of every kind rendered, are the rendered ones."""
    rendered = {(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in docs if not is_hook(d)}
    findings = []
    for api_version, kind in sorted({(v, k) for v, k, _ in rendered}):
        on_server = {
            item["metadata"]["name"]
            for item in api.list(api_version, kind, namespace)
            if (item["metadata"].get("annotations") or {}).get(RELEASE_ANNOTATION) == RELEASE
        }
        wanted = {name for v, k, name in rendered if (v, k) == (api_version, kind)}
        findings += [f"rendered but not on the server: {kind} {n}" for n in wanted - on_server]
        findings += [f"on the server but not rendered: {kind} {n}" for n in on_server - wanted]
    return sorted(findings)


def readable(line: str) -> str:
    """helm prints a server warning as a klog line whose message is a quoted Go string; the
    finding is the message itself (any other line is kept as it is)."""
    match = KLOG_MESSAGE.match(line)
    if match is None:
        return line.strip()
    try:
        message: str = json.loads(match.group(1))
    except json.JSONDecodeError:
        return line.strip()
    return message


def helm_step(api: Api, helm: Helm, namespace: str, docs: list[Obj], *args: str) -> list[str]:
    """One helm command with the kubelet stand-in running; the findings it leaves."""
    step = args[0]
    began = time.monotonic()
    with KubeletStandIn(Api(api.plane), namespace) as kubelet:
        result = helm.run(*args, "--namespace", namespace, "--timeout", HELM_TIMEOUT)
    findings = [f"helm {step}: {readable(line)}" for line in result.stderr.splitlines() if line]
    findings += kubelet.errors
    if result.returncode != 0:
        findings.append(f"helm {step} exited {result.returncode}")
        return findings
    wanted_hooks = {d["metadata"]["name"] for d in docs if is_hook(d) and d["kind"] == "Job"}
    if step in {"install", "upgrade"}:
        unrun = sorted(wanted_hooks - set(kubelet.admitted))
        findings += [f"hook Job {job}: its controller created no Pod" for job in unrun]
    findings += [f"after helm {step}: {f}" for f in pods_admitted(api, namespace, docs)]
    findings += [f"after helm {step}: {f}" for f in kinds_match(api, namespace, docs)]
    say(f"    {namespace}: helm {step} and the Pods it makes: {time.monotonic() - began:.0f}s")
    return findings


def check_scenario(api: Api, helm: Helm, name: str, scenario: Scenario) -> list[str]:
    namespace = f"check-{name}"
    chart = str(HELM_CHECK.CHART)
    installed = helm.render(namespace, values_args(scenario))
    upgraded = helm.render(namespace, values_args(scenario, *UPGRADE_SETS))
    prepare_namespace(api, namespace, installed + upgraded)
    findings = helm_step(api, helm, namespace, installed, "install", RELEASE, chart,
                         *values_args(scenario))  # fmt: skip
    if not findings:
        findings = helm_step(api, helm, namespace, upgraded, "upgrade", RELEASE, chart,
                             *values_args(scenario, *UPGRADE_SETS))  # fmt: skip
    if not findings:
        findings = helm_step(api, helm, namespace, installed, "rollback", RELEASE, "1")
    findings += [f"API warning: {w}" for w in api.warnings]
    api.warnings.clear()
    return findings


def run(chosen: dict[str, Scenario]) -> dict[str, list[str]]:
    """Scenario -> findings (empty: it passed), all on one freshly started control plane."""
    layout = Layout.from_env()
    helm_binary: Path = HELM_CHECK.ensure_helm()
    results: dict[str, list[str]] = {}
    began = time.monotonic()
    with control_plane(layout, layout.run / "k8s-check") as plane:
        say(f"kube-apiserver {plane.version} on {plane.server} (logs: {plane.workdir / 'logs'}),"
            f" control plane up in {time.monotonic() - began:.0f}s")  # fmt: skip
        api = Api(plane)
        try:
            helm = Helm(helm_binary, plane)
            for name, scenario in chosen.items():
                results[name] = check_scenario(api, helm, name, scenario)
                verdict = "OK" if not results[name] else f"{len(results[name])} findings"
                say(f"  {name}: install, upgrade, rollback: {verdict}")
                for finding in results[name]:
                    say(f"    {finding}")
        finally:
            api.close()
    return results


def main() -> None:
    if sys.argv[1:]:
        raise SystemExit(__doc__)
    try:
        results = run(scenarios())
    except (ControlPlaneError, ApiError, ProvisionError) as exc:
        raise SystemExit(f"k8s-check: {exc}") from None
    failed = sorted(name for name, findings in results.items() if findings)
    if failed:
        raise SystemExit(f"k8s-check: FAILED for {', '.join(failed)}")
    say(f"k8s-check: OK ({len(results)} values variants)")


if __name__ == "__main__":
    main()
