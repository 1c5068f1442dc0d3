"""The local stack's generated config follows the one routes table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from stackctl.layout import Layout
from stackctl.nginx import render
from tests.support import REPO_ROOT

pytestmark = pytest.mark.unit


def test_nginx_routes_every_public_prefix_to_its_owner(tmp_path: Path) -> None:
    table = yaml.safe_load((REPO_ROOT / "deploy/routes.yaml").read_text())
    conf = render(Layout(repo=REPO_ROOT, tools=tmp_path / "tools", run=tmp_path)).read_text()

    locations = dict(
        re.findall(
            r"location (\S+) \{ (?:client_max_body_size \w+; )?proxy_pass http://([\w-]+)[/;]", conf
        )
    )
    limits = dict(re.findall(r"location (\S+) \{ client_max_body_size (\w+);", conf))
    for route in table["routes"]:
        assert locations[route["prefix"]] == route["service"]
        assert limits[route["prefix"]] == route["maxBody"]
    for name, spec in table["services"].items():
        assert f"upstream {name} {{ server 127.0.0.1:{spec['port']};" in conf
        assert locations[f"/_services/{name}/"] == name


def test_every_service_in_the_table_exists_as_a_package() -> None:
    table = yaml.safe_load((REPO_ROOT / "deploy/routes.yaml").read_text())
    for name in table["services"]:
        package = REPO_ROOT / "services" / name / "src" / name.replace("-", "_")
        assert (package / "main.py").is_file(), f"{name} has no composition root"
