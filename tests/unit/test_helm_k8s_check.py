"""`make k8s-check` (deploy/helm/k8s_check.py) fails when a pod template breaks Pod Security
`restricted`, and stops every process it started.

These start the loopback control plane (etcd, kube-apiserver, kube-controller-manager) that the
check uses; the binaries come from the tools cache (`make k8s-check` builds them first; cold,
kube-apiserver and kube-controller-manager take 8 to 10 minutes each on two cores).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from stackctl.kube import control_plane
from stackctl.kubeworkloads import secret_references
from stackctl.layout import Layout

# Not in `make test`: it builds and runs a real control plane (minutes). Run it with
# `uv run pytest -m k8s` after `make k8s-check` has built the binaries.
pytestmark = [pytest.mark.k8s, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "helm/values-breaks-restricted.yaml"


def load_k8s_check() -> Any:
    spec = importlib.util.spec_from_file_location("k8s_check", ROOT / "deploy/helm/k8s_check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def processes_running_in(workdir: Path) -> list[str]:
    """Command lines of live processes that name `workdir` (the check's own, nobody else's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # exited while we looked
        if any(str(workdir).encode() in arg for arg in argv):
            found.append(b" ".join(argv).decode(errors="replace")[:200])
    return found


def test_the_check_creates_every_secret_the_chart_documents() -> None:
    check = load_k8s_check()
    helm_check = check.HELM_CHECK
    readme = (helm_check.CHART / "README.md").read_text()
    # Rows of the README's Secrets table: | setting | `name` / `key`[, `key`] (remark) | holds |
    documented = {
        name: set(re.findall(r"`([\w.-]+)`", keys.split("(")[0]))
        for name, keys in re.findall(r"^\| [^|]+ \| `([\w-]+)` / ([^|]+) \|", readme, re.MULTILINE)
    }
    assert "callplane-mongodb" in documented, "the README's Secrets table moved"
    helm = helm_check.ensure_helm()
    created: dict[str, set[str]] = {}
    for scenario in check.scenarios():
        docs = helm_check.documents(helm_check.render(helm, scenario))
        for name, keys in secret_references(docs).items():
            created.setdefault(name, set()).update(keys)
    for name, keys in documented.items():
        assert keys <= created.get(name, set()), f"{name}: the check would not create {keys}"


def test_a_pod_template_breaking_restricted_fails_the_check() -> None:
    check = load_k8s_check()
    files, sets = check.scenarios()["prod"]
    results = check.run({"prod": (files, sets), "breaks-restricted": ((*files, str(BROKEN)), sets)})
    # The control, on the same control plane: only the broken values file makes the difference.
    assert results["prod"] == []
    findings = "\n".join(results["breaks-restricted"])
    # Pod Security warns when the Deployment is stored, and refuses the Pods its ReplicaSet makes.
    assert 'would violate PodSecurity "restricted' in findings, findings
    assert "FailedCreate" in findings, findings
    assert 'violates PodSecurity "restricted' in findings, findings
    assert processes_running_in(Layout.from_env().run / "k8s-check") == []


def test_every_process_stops_when_the_check_fails_midway(tmp_path: Path) -> None:
    workdir = tmp_path / "plane"
    running: list[str] = []
    with (  # noqa: PT012 - the block is the check failing midway
        pytest.raises(RuntimeError, match="midway"),
        control_plane(Layout.from_env(), workdir),
    ):
        running = processes_running_in(workdir)
        raise RuntimeError("a check failing midway")
    assert len(running) == 3, running  # etcd, kube-apiserver, kube-controller-manager
    assert processes_running_in(workdir) == []
