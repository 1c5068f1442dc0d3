from __future__ import annotations

from pathlib import Path

import pytest

VARIABLES = (
    "CALLPLANE_URL",
    "CALLPLANE_API_KEY",
    "CALLPLANE_ADMIN_TOKEN",
    "CALLPLANE_OPERATOR_TOKEN",
    "CALLPLANE_KAFKA",
    "CALLPLANE_JAEGER",
    "CALLPLANE_OUTPUT",
    "KAFKA_BOOTSTRAP_SERVERS",
    "XDG_CONFIG_HOME",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's variables or config file leak into a test."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CALLPLANE_CONFIG", str(tmp_path / "absent.toml"))
