"""The pinned helm for the chart tests in this folder (deploy/helm/check.py builds it once)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.unit.helm.manifests import CHECK


@pytest.fixture(scope="session")
def helm() -> Path:
    try:
        path: Path = CHECK.ensure_helm()
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.fail(f"could not build helm ({exc}); run `make helm-check`", pytrace=False)
    return path
