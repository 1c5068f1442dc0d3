# ruff: noqa: INP001 - a script beside the chart, not a package
"""Offline checks of the Helm chart: lint, render, schema-validate, checkov.

    uv run python deploy/helm/check.py              # everything (what `make helm-check` runs)
    uv run python deploy/helm/check.py helm-path    # build helm if missing, print its path

helm is built from the Go module proxy as a tool of its own module (deploy/local/tools/helm);
its version is the one that module requires. Checkov runs isolated through `uv tool run`, so its
many dependencies never enter the project lock. Checks checkov reports that the chart does not
fix are listed with their reasons in deploy/helm/checkov-skips.yaml; a listed check that no
longer fails is reported too, so the list stays true.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy/helm/callplane"
HELM_MODULE = ROOT / "deploy/local/tools/helm"
SKIPS_FILE = ROOT / "deploy/helm/checkov-skips.yaml"
CHECKOV = "checkov==3.3.30"
RELEASE = "callplane"
NAMESPACE = "callplane"
OLDEST_KUBERNETES = "1.30.0"

# Each scenario is one `helm template`: values files (relative to the chart) plus --set flags.
# prod is SASL_SSL; kafka-sasl adds what no shipped values file turns on: a service with its own
# Kafka principal (per-service ACLs) and the internal Ingress for operator endpoints, its
# controller in a namespace of its own.
SCENARIOS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "default": ((), ()),
    "dev": (("values-dev.yaml",), ()),
    "prod": (("values-prod.yaml",), ()),
    "kafka-sasl": (
        ("values-prod.yaml",),
        (
            "services.number-inventory.kafkaSasl.usernameSecret.name=callplane-kafka-inventory",
            "services.number-inventory.kafkaSasl.usernameSecret.key=username",
            "services.number-inventory.kafkaSasl.passwordSecret.name=callplane-kafka-inventory",
            "services.number-inventory.kafkaSasl.passwordSecret.key=password",
            "internalIngress.enabled=true",
            "internalIngress.allowlist={10.0.0.0/8}",
            "internalIngress.controllerNamespace=ingress-internal",
            "internalIngress.controllerUrl=http://ingress-internal-controller.ingress-internal.svc",
        ),
    ),
    # The optional reference SIP edge adapter, with a gateway table and a static timeout route.
    "sip-edge": (
        ("values-prod.yaml",),
        (
            "sipEdge.enabled=true",
            "sipEdge.gateways.+41=sip:ch.carrier.example:5060",
            "sipEdge.timeoutAction=route",
            "sipEdge.timeoutRouteUri=sip:fallback@pbx.example",
        ),
    ),
}


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - a CLI reports on stdout


def run(argv: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=True, text=True, **kwargs)  # noqa: S603


def helm_version() -> str:
    """The helm version the tool module requires: one place to bump it."""
    match = re.search(
        r"^\s*helm\.sh/helm/v3 (v\S+)", (HELM_MODULE / "go.mod").read_text(), re.MULTILINE
    )
    if match is None:
        raise SystemExit(f"{HELM_MODULE / 'go.mod'} does not require helm.sh/helm/v3")
    return match.group(1)


def tools_dir() -> Path:
    path = Path(os.environ.get("CALLPLANE_TOOLS", ".cache/tools"))
    return path if path.is_absolute() else ROOT / path


def ensure_helm() -> Path:
    """Path of the pinned helm binary, built from the Go module proxy if it is not there yet."""
    binary = tools_dir() / f"helm-{helm_version()}"
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(f"{binary.name}.partial")
    say(f"building {binary.name} from the Go module proxy (a few minutes on 2 cores)")
    stamp = f"-X helm.sh/helm/v3/internal/version.version={helm_version()}"
    run(
        ["go", "build", "-trimpath", "-ldflags", stamp, "-o", partial, "helm.sh/helm/v3/cmd/helm"],
        cwd=HELM_MODULE,
    )
    partial.replace(binary)  # atomic: a killed build never leaves a half-written helm behind
    return binary


def helm_args(scenario: str) -> list[str]:
    files, sets = SCENARIOS[scenario]
    args: list[str] = []
    for name in files:
        args += ["--values", str(CHART / name)]
    for assignment in sets:
        args += ["--set", assignment]
    return args


def render(helm: Path, scenario: str, *extra: str) -> str:
    """The chart's manifests for one scenario, as one YAML stream."""
    argv: list[str | Path] = [helm, "template", RELEASE, CHART, "--namespace", NAMESPACE]
    argv += ["--kube-version", OLDEST_KUBERNETES]  # offline, helm would assume 1.20
    return run([*argv, *helm_args(scenario), *extra], capture_output=True).stdout


def documents(stream: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(stream) if doc]


def lint(helm: Path) -> None:
    for scenario in SCENARIOS:
        say(f"helm lint --strict ({scenario})")
        run([helm, "lint", "--strict", CHART, "--namespace", NAMESPACE, *helm_args(scenario)])


def render_all(helm: Path, out: Path) -> list[Path]:
    files = []
    for scenario in SCENARIOS:
        target = out / f"{scenario}.yaml"
        try:
            target.write_text(render(helm, scenario))
        except subprocess.CalledProcessError as failure:
            raise SystemExit(f"helm template ({scenario}) failed:\n{failure.stderr}") from None
        say(f"helm template ({scenario}): {len(documents(target.read_text()))} objects")
        files.append(target)
    return files


def validate(files: list[Path]) -> None:
    from kubernetes_validate.utils import latest_version  # type: ignore[import-untyped]

    for version in (OLDEST_KUBERNETES, latest_version()):
        say(f"kubernetes-validate --strict against Kubernetes {version}")
        argv: list[str | Path] = [sys.executable, "-m", "kubernetes_validate", "--strict"]
        run([*argv, "--quiet", "--kubernetes-version", version, *files])


def checkov_failures(rendered: Path) -> dict[str, set[str]]:
    """Failed check id -> the resources it failed on, across every rendered scenario."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [
            # `uv run` tells its children where uv is (a fresh machine has it only in the cache).
            os.environ.get("UV", "uv"),
            "tool",
            "run",
            "--from",
            CHECKOV,
            "checkov",
            "--skip-download",
            "--framework",
            "kubernetes",
            "--directory",
            str(rendered),
            "--output",
            "json",
            "--quiet",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode not in {0, 1}:  # 1: some check failed, which is what we sort below
        raise SystemExit(f"checkov did not run:\n{result.stderr}")
    reports = json.loads(result.stdout or "[]")
    failures: dict[str, set[str]] = {}
    for report in reports if isinstance(reports, list) else [reports]:
        for failed in report.get("results", {}).get("failed_checks", []):
            where = f"{Path(failed['file_path']).stem}: {failed['resource']}"
            failures.setdefault(failed["check_id"], set()).add(where)
    return failures


def checkov(rendered: Path) -> None:
    say(f"checkov {CHECKOV.split('==')[1]} (kubernetes, --skip-download)")
    skips: dict[str, str] = yaml.safe_load(SKIPS_FILE.read_text())["skip"]
    failures = checkov_failures(rendered)
    unexplained = {check: where for check, where in failures.items() if check not in skips}
    for check, where in sorted(unexplained.items()):
        examples = ", ".join(sorted(where)[:3])
        say(f"  FAILED {check} on {len(where)} objects, e.g. {examples}")
    stale = sorted(set(skips) - set(failures))
    for check in stale:
        say(f"  STALE skip {check}: it no longer fails; remove it from {SKIPS_FILE.name}")
    if unexplained or stale:
        raise SystemExit(f"checkov: fix the chart or explain the check in {SKIPS_FILE}")
    say(f"  {len(skips)} checks skipped with reasons in {SKIPS_FILE.relative_to(ROOT)}")


def main() -> None:
    if sys.argv[1:] == ["helm-path"]:
        say(str(ensure_helm()))
        return
    if sys.argv[1:]:
        raise SystemExit(__doc__)
    helm = ensure_helm()
    lint(helm)
    with tempfile.TemporaryDirectory(prefix="callplane-helm-") as tmp:
        files = render_all(helm, Path(tmp))
        validate(files)
        checkov(Path(tmp))
    say("helm-check: OK")


if __name__ == "__main__":
    main()
