"""The reference SIP edge as optional stack components: Kamailio and the sip-edge adapter.

Optional because most work on callplane never touches SIP and `make up` should not pay for it:
`make sip-up` (and the SIP tests, `make sip-demo`, `make sip-bench`) start them on top of a
running stack; `make down` stops them with everything else.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from stackctl import kafka, probes
from stackctl.components import OTLP_GRPC, Argv, Component, _dev_settings
from stackctl.layout import Layout
from stackctl.provision import ProvisionError

SIP_PORT = 5060  # INVITEs callplane decides
STATIC_PORT = 5062  # INVITEs forwarded without asking (the benchmark's baseline)
STATIC_TARGET = "sip:127.0.0.1:5089"
EVAPI_PORT = 5070
ADAPTER_PORT = 8110
MODULES = Path("/usr/lib") / f"{os.uname().machine}-linux-gnu" / "kamailio" / "modules"


def _kamailio(layout: Layout) -> Argv:
    binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not Path(binary).exists() or not (MODULES / "evapi.so").exists():
        raise ProvisionError(
            "Kamailio with its evapi module is not installed: `make bootstrap` "
            "(apt-get install kamailio kamailio-extra-modules)"
        )
    cfg = layout.repo / "edges/sip-edge/kamailio/kamailio.cfg"
    defines = {
        "SIP_LISTEN": f"udp:127.0.0.1:{SIP_PORT}",
        "STATIC_LISTEN": f"udp:127.0.0.1:{STATIC_PORT}",
        "STATIC_PORT": str(STATIC_PORT),
        "STATIC_TARGET": f'"{STATIC_TARGET}"',
        "EVAPI_BIND": f'"127.0.0.1:{EVAPI_PORT}"',
    }
    argv = [binary, "-DD", "-E", "-f", str(cfg), "-Y", str(layout.data_dir("kamailio"))]
    argv += ["-m", "128", "-M", "16"]
    for name, value in defines.items():
        argv += ["-A", f"{name}={value}"]
    return argv


def sip_options_ok(port: int = SIP_PORT) -> bool:
    """Kamailio answers a SIP OPTIONS on its UDP listener with 200."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1)
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        branch = f"z9hG4bK{uuid.uuid4().hex[:16]}"
        request = (
            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@127.0.0.1>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:127.0.0.1:{port}>\r\n"
            f"Call-ID: probe-{uuid.uuid4().hex}\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        try:
            sock.sendto(request.encode(), ("127.0.0.1", port))
            reply = sock.recv(4096)
        except OSError:
            return False
    return reply.startswith(b"SIP/2.0 200")


def _adapter(_: Layout) -> Argv:
    return [sys.executable, "-m", "callplane_sip_edge"]


def _adapter_env(layout: Layout) -> Mapping[str, str]:
    return {
        **_dev_settings(layout),
        "HTTP_PORT": str(ADAPTER_PORT),
        "KAFKA_BOOTSTRAP_SERVERS": os.environ.get(
            "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap(kafka.running_brokers(layout))
        ),
        "OTEL_EXPORTER_OTLP_ENDPOINT": os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", OTLP_GRPC),
        "OTEL_SERVICE_NAME": "sip-edge",
        "CALLPLANE_ENVIRONMENT": "local",
    }


SIP_EDGE: tuple[Component, ...] = (
    Component(
        "kamailio",
        {EVAPI_PORT: "Kamailio evapi (SIP on UDP 5060/5062)"},
        _kamailio,
        sip_options_ok,
        timeout_seconds=20,
    ),
    Component(
        "sip-edge",
        {ADAPTER_PORT: "sip-edge adapter health/metrics"},
        _adapter,
        lambda: probes.http_ok(f"http://127.0.0.1:{ADAPTER_PORT}/readyz"),
        timeout_seconds=90,  # like the services: imports alone take long on a loaded machine
        env=_adapter_env,
    ),
)
