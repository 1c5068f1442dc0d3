"""Flags win over environment, environment over the config file, the file over defaults."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.unit.cli.support import FakeApi, invoke

pytestmark = pytest.mark.unit
BALANCE = httpx.Response(200, json={"balance": 1, "currency": "EUR"})


def fake() -> FakeApi:
    return FakeApi({("GET", "/account/1/balance"): BALANCE})


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_the_config_file_fills_what_flags_and_environment_leave_out(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'url = "http://file.example:1"\napi_key = "from-file"\n')
    api = fake()
    result = invoke(api, "balance", env={"CALLPLANE_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert str(api.seen[0].url) == "http://file.example:1/account/1/balance"
    assert api.seen[0].headers["Authorization"] == "App from-file"


def test_environment_beats_the_file_and_flags_beat_both(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'api_key = "from-file"\n')
    env = {"CALLPLANE_CONFIG": str(config), "CALLPLANE_API_KEY": "from-env"}
    api = fake()
    invoke(api, "balance", env=env)
    invoke(api, "--api-key", "from-flag", "balance", env=env)
    assert [r.headers["Authorization"] for r in api.seen] == ["App from-env", "App from-flag"]


def test_without_anything_the_local_stack_is_the_default() -> None:
    api = fake()
    invoke(api, "--api-key", "k", "balance")
    assert str(api.seen[0].url) == "http://127.0.0.1:8080/account/1/balance"


def test_an_unknown_key_in_the_file_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'apikey = "typo"\n')
    api = fake()
    result = invoke(api, "--config", str(config), "balance")
    assert result.exit_code == 2
    assert "unknown keys apikey" in result.output
    assert api.seen == []
