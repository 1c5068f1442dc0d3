"""Fetches and builds what the stack runs, once per version, into the tools folder.

Maven resolves the Kafka broker's jars from Maven Central (deploy/local/kafka/pom.xml), and Kafka's
tools for the benchmark apart (deploy/local/kafka/tools/pom.xml); Go builds
FerretDB and Jaeger from the module proxy, each as the tool of its own small module
(deploy/local/tools/<tool>/go.mod) so their dependency versions never meet.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SourcePatch:
    """One exact text replacement in a file of the upstream module, applied before building.
    `tag` names the patched build (it becomes part of the binary's name, so a changed patch
    builds anew); the old text must occur exactly once, or provisioning stops."""

    tag: str
    path: str
    old: str
    new: str


def go_tool(
    layout: Layout,
    tool: str,
    module_path: str,
    package: str,
    *,
    binary_name: str | None = None,
    flags: Sequence[str] = (),
    patches: Sequence[SourcePatch] = (),
) -> Path:
    """Build `package` of the Go module deploy/local/tools/<tool> once per version of the
    upstream module it builds (`module_path`, as required in that go.mod). A module that builds
    several binaries names each (`binary_name`); `flags` go to `go build` (e.g. -ldflags);
    `patches` are applied to a copy of the upstream module, built through a `replace`."""
    module_dir = layout.repo / "deploy/local/tools" / tool
    version = required_version(layout, tool, module_path)
    suffix = "".join(f"+{patch.tag}" for patch in patches)
    binary = layout.tools / f"{binary_name or tool}-{version}{suffix}"
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(binary.name + ".partial")
    what = f"building {binary_name or tool} with Go"
    build_dir = module_dir
    if patches:
        build_dir = _patched_module(layout, module_dir, f"{module_path}@{version}", patches, what)
    _run(["go", "build", *flags, "-o", str(partial), package], build_dir, what)
    partial.rename(binary)
    return binary


def _patched_module(
    layout: Layout, module_dir: Path, module: str, patches: Sequence[SourcePatch], what: str
) -> Path:
    """A copy of our wrapper module whose go.mod replaces `module` (path@version) with a
    patched copy of the upstream source (the module cache itself is read-only and shared)."""
    module_path, version = module.split("@")
    result = subprocess.run(
        ["go", "mod", "download", "-json", module],
        cwd=module_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ProvisionError(f"{what}: downloading {module} failed:\n{result.stderr}")
    upstream = Path(json.loads(result.stdout)["Dir"])
    work = layout.tools / "src" / f"{module_dir.name}-{version}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(module_dir, work)
    shutil.copytree(upstream, work / "upstream", copy_function=shutil.copy)
    for path in (work / "upstream").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    for patch in patches:
        target = work / "upstream" / patch.path
        text = target.read_text()
        if text.count(patch.old) != 1:
            raise ProvisionError(f"{what}: patch {patch.tag} does not apply to {patch.path}")
        target.write_text(text.replace(patch.old, patch.new))
    with (work / "go.mod").open("a") as go_mod:
        go_mod.write(f"\nreplace {module_path} => ./upstream\n")
    return work
