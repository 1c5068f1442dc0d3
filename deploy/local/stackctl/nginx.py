"""Renders the local nginx config from deploy/routes.yaml, the one table of public prefixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stackctl.layout import Layout

PUBLIC_PORT = 8080
NOT_FOUND_BODY = (
    '{"requestError":{"serviceException":{"messageId":"NOT_FOUND","text":"No API at this path."}}}'
)
TOO_LARGE_BODY = (
    '{"requestError":{"serviceException":{"messageId":"PAYLOAD_TOO_LARGE",'
    '"text":"Request body larger than this path accepts."}}}'
)


def load_routes(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((repo / "deploy/routes.yaml").read_text())
    return data


def render(layout: Layout) -> Path:
    table = load_routes(layout.repo)
    services: dict[str, dict[str, int]] = table["services"]
    home = layout.data_dir("nginx")
    upstreams = "\n".join(
        f"    upstream {name} {{ server 127.0.0.1:{spec['port']}; keepalive 16; }}"
        for name, spec in services.items()
    )
    locations = [
        f"        location {route['prefix']} {{ client_max_body_size {route['maxBody']}; "
        f"proxy_pass http://{route['service']}; }}"
        for route in table["routes"]
    ]
    # Operators and tests reach each service's own endpoints (/readyz, /metrics, /docs) by name.
    locations += [
        f"        location /_services/{name}/ {{ proxy_pass http://{name}/; }}" for name in services
    ]
    conf = f"""# Rendered by deploy/local/stackctl/nginx.py from deploy/routes.yaml; do not edit.
daemon off;
worker_processes 1;
pid {home}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {home}/client_body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Request-Id $request_id;
    # Bodies over a route's limit get Infobip's envelope, not nginx's HTML page.
    client_max_body_size 64k;
{upstreams}
    server {{
        listen 127.0.0.1:{PUBLIC_PORT};
        location = /nginx-health {{ return 200 "ok\\n"; }}
        error_page 413 = @too_large;
        location @too_large {{
            default_type application/json;
            return 413 '{TOO_LARGE_BODY}';
        }}
{chr(10).join(locations)}
        location / {{
            default_type application/json;
            return 404 '{NOT_FOUND_BODY}';
        }}
    }}
}}
"""
    path = home / "nginx.conf"
    path.write_text(conf)
    return path
