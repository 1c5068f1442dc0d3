"""Every template compiles (a syntax error would otherwise show only when its page is opened)."""

from __future__ import annotations

import pytest
from jinja2 import Environment, FileSystemLoader

from console.web import TEMPLATES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_template_compiles(name: str) -> None:
    Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True).get_template(name)
