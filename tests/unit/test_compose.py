"""docker-compose.yml and its nginx config agree with Settings classes and deploy/routes.yaml."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = "deploy/docker/nginx.conf"
SERVICES = ("number-inventory", "action-config", "call-dispatch", "number-masking")
OFFICIAL_IMAGES = {
    "kafka": "apache/kafka",
    "mongo": "mongo",
    "jaeger": "jaegertracing/jaeger",
    "nginx": "nginx",
}
UPSTREAM = re.compile(r"upstream\s+([\w-]+)\s*\{\s*server\s+([\w.-]+):(\d+)\s*;")
LOCATION = re.compile(
    r"location\s+(/\S*)\s*\{\s*(?:client_max_body_size\s+(\w+);\s*)?"
    r"proxy_pass\s+http://([\w-]+)(/?)\s*;\s*\}"
)


def load_yaml(path: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / path).read_text())
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    services: dict[str, Any] = load_yaml("docker-compose.yml")["services"]
    return services


def settings_class(service: str) -> type[BaseSettings]:
    module = importlib.import_module(f"{service.replace('-', '_')}.settings")
    settings: type[BaseSettings] = module.Settings
    return settings


def default_port(service: str) -> int:
    port = settings_class(service).model_fields["http_port"].default
    assert isinstance(port, int), f"{service}: Settings.http_port has no int default"
    return port


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment", {})
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) for item in env)
    return {str(name): str(value) for name, value in env.items()}


def test_project_services_have_the_service_names(compose: dict[str, Any]) -> None:
    missing = set(SERVICES) - compose.keys()
    assert not missing, f"docker-compose.yml lacks services {sorted(missing)}"
    for service in SERVICES:
        assert compose[service]["build"]["dockerfile"] == "deploy/docker/Dockerfile", service
        assert compose[service]["command"] == [service], f"{service} runs another command"


@pytest.mark.parametrize("service", SERVICES)
def test_port_is_the_settings_default(compose: dict[str, Any], service: str) -> None:
    port = default_port(service)
    spec = compose[service]
    assert int(environment(spec)["HTTP_PORT"]) == port
    assert str(port) in [str(p) for p in spec.get("expose", [])], f"{service} exposes no {port}"
    assert f":{port}/livez" in " ".join(spec["healthcheck"]["test"])


@pytest.mark.parametrize("service", SERVICES)
def test_environment_names_are_settings_fields(compose: dict[str, Any], service: str) -> None:
    settings = settings_class(service)
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    fields = {f"{prefix}{name.upper()}" for name in settings.model_fields}
    env = environment(compose[service])
    unknown = {name for name in env if not name.startswith("OTEL_")} - fields
    assert not unknown, f"{service}: no Settings field reads {sorted(unknown)}"
    assert env["HTTP_HOST"] == "0.0.0.0", f"{service} must listen on all interfaces"  # noqa: S104
    assert env["OTEL_SERVICE_NAME"] == service


@pytest.mark.parametrize("service", SERVICES)
def test_required_settings_are_provided(compose: dict[str, Any], service: str) -> None:
    # A required setting missing from compose means the container exits at start.
    settings = settings_class(service)
    required = {
        name.upper() for name, field in settings.model_fields.items() if field.is_required()
    }
    missing = required - environment(compose[service]).keys()
    assert not missing, f"{service}: compose does not set required {sorted(missing)}"


@pytest.mark.parametrize(("name", "repository"), OFFICIAL_IMAGES.items())
def test_infrastructure_uses_official_images(
    compose: dict[str, Any], name: str, repository: str
) -> None:
    image, _, tag = compose[name]["image"].partition(":")
    assert image == repository
    assert tag, f"{name} image is not pinned"


def test_nginx_routes_every_prefix_to_its_service(compose: dict[str, Any]) -> None:
    assert any(
        str(volume).startswith(f"./{NGINX_CONF}:") for volume in compose["nginx"]["volumes"]
    ), f"the nginx service does not mount {NGINX_CONF}"
    conf = (ROOT / NGINX_CONF).read_text()
    upstreams = {name: (host, int(port)) for name, host, port in UPSTREAM.findall(conf)}
    found = LOCATION.findall(conf)
    locations = {prefix: (upstream, path) for prefix, _, upstream, path in found}
    body_limits = {prefix: size for prefix, size, _, _ in found}
    table = load_yaml("deploy/routes.yaml")
    expected = {route["prefix"]: (route["service"], "") for route in table["routes"]}
    expected |= {f"/_services/{name}/": (name, "/") for name in table["services"]}
    for prefix, (service, path) in expected.items():
        assert prefix in locations, f"nginx has no location {prefix}"
        upstream, proxied_path = locations[prefix]
        port = table["services"][service]["port"]
        assert upstreams.get(upstream) == (service, port), f"{prefix} is not sent to {service}"
        assert port == default_port(service), f"routes.yaml port of {service}"
        assert proxied_path == path, f"{prefix} rewrites the path"
    for route in table["routes"]:
        assert body_limits[route["prefix"]] == route["maxBody"], f"{route['prefix']} body limit"


SECRET = re.compile(r"^\$\{(\w+):\?.+\}$")


@pytest.mark.parametrize("service", SERVICES)
def test_secrets_have_no_committed_fallback(compose: dict[str, Any], service: str) -> None:
    settings = settings_class(service)
    secrets = {
        name.upper()
        for name, field in settings.model_fields.items()
        if field.is_required() and name.endswith(("_token", "_key"))
    }
    env = environment(compose[service])
    for name in secrets:
        match = SECRET.match(env[name])
        assert match is not None, f"{service}: {name} must be ${{{name}:?...}}, not a default"
        assert match.group(1) == name


def test_published_ports_bind_loopback_only(compose: dict[str, Any]) -> None:
    for name, spec in compose.items():
        if not isinstance(spec, dict):
            continue
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
