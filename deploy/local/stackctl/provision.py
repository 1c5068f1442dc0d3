"""Fetches and builds what the stack runs, once per version, into the tools folder.

Maven resolves the Kafka broker's jars from Maven Central (deploy/local/kafka/pom.xml), and Kafka's
tools for the benchmark apart (deploy/local/kafka/tools/pom.xml); Go builds
FerretDB and Jaeger from the module proxy, each as the tool of its own small module
(deploy/local/tools/<tool>/go.mod) so their dependency versions never meet.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from stackctl.layout import Layout


class ProvisionError(RuntimeError):
    pass


def _run(argv: list[str], cwd: Path, what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise ProvisionError(f"{what} needs `{argv[0]}` on PATH (see README: what a machine needs)")
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-30:]
        raise ProvisionError(f"{what} failed:\n" + "\n".join(output))


def _pom_property(pom: Path, name: str) -> str:
    match = re.search(rf"<{name}>([^<]+)</{name}>", pom.read_text())
    if match is None:
        raise ProvisionError(f"{pom} has no <{name}>")
    return match.group(1)


def kafka_libs(layout: Layout) -> Path:
    return _maven_libs(layout, "deploy/local/kafka/pom.xml", "libs", "kafka_2.13-*.jar")


def kafka_tools_libs(layout: Layout) -> Path:
    """Kafka's command-line tools (EndToEndLatency for `make bench`), apart from the broker's."""
    return _maven_libs(
        layout, "deploy/local/kafka/tools/pom.xml", "tools-libs", "kafka-tools-*.jar"
    )


def _maven_libs(layout: Layout, pom_path: str, folder: str, marker: str) -> Path:
    pom = layout.repo / pom_path
    target = layout.tools / f"kafka-{_pom_property(pom, 'kafka.version')}" / folder
    if target.is_dir() and any(target.glob(marker)):
        return target
    staging = target.with_name(f"{folder}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    _run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        layout.repo,
        f"resolving {pom_path} with Maven",
    )
    staging.rename(target)
    return target


def required_version(layout: Layout, tool: str, module_path: str) -> str:
    """The version of `module_path` that deploy/local/tools/<tool>/go.mod requires."""
    module_dir = layout.repo / "deploy/local/tools" / tool
    go_mod = (module_dir / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module_path)} (v\S+)", go_mod, re.MULTILINE)
    if match is None:
        raise ProvisionError(f"{module_dir}/go.mod does not require {module_path}")
    return match.group(1)


def go_tool(
    layout: Layout,
    tool: str,
    module_path: str,
    package: str,
    *,
    binary_name: str | None = None,
    flags: Sequence[str] = (),
) -> Path:
    """Build `package` of the Go module deploy/local/tools/<tool> once per version of the
    upstream module it builds (`module_path`, as required in that go.mod). A module that builds
    several binaries names each (`binary_name`); `flags` go to `go build` (e.g. -ldflags)."""
    module_dir = layout.repo / "deploy/local/tools" / tool
    version = required_version(layout, tool, module_path)
    binary = layout.tools / f"{binary_name or tool}-{version}"
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(binary.name + ".partial")
    what = f"building {binary_name or tool} with Go"
    _run(["go", "build", *flags, "-o", str(partial), package], module_dir, what)
    partial.rename(binary)
    return binary
