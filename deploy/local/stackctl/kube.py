"""A Kubernetes control plane with no nodes, on loopback: etcd, kube-apiserver and
kube-controller-manager, each built once from the Go module proxy (deploy/local/tools/etcd and
deploy/local/tools/kubernetes) into the shared tools folder.

No kubelet and no scheduler run, so nothing is ever executed: the API server admits or refuses
objects (validation, defaulting, Pod Security) and the controllers turn Deployments and Jobs into
ReplicaSets and Pods, which admission judges as it would in a cluster. `control_plane()` stops
every process it started when its block ends, however it ends; the processes also get SIGKILL
if this Python process dies first (PR_SET_PDEATHSIG), so none outlives the check.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from stackctl.layout import Layout
from stackctl.process import tail
from stackctl.provision import go_tool, required_version

KUBERNETES = "k8s.io/kubernetes"
ETCD = "go.etcd.io/etcd/server/v3"
# Allocation range for Service ClusterIPs: addresses are only written into objects, never used.
SERVICE_RANGE = "10.96.0.0/24"
_PR_SET_PDEATHSIG = 1
CONTROLLERS = (
    "serviceaccount-controller",
    "root-ca-certificate-publisher-controller",
    "deployment-controller",
    "replicaset-controller",
    "job-controller",
    "garbage-collector-controller",
)


class ControlPlaneError(RuntimeError):
    pass


@dataclass(frozen=True)
class Binaries:
    etcd: Path
    apiserver: Path
    controller_manager: Path
    version: str


def binaries(layout: Layout) -> Binaries:
    """The three binaries, built from the module proxy if the tools folder lacks them (about
    8 minutes for kube-apiserver on 2 quiet cores; the controller manager, although it reuses
    most of kube-apiserver's packages from Go's build cache, took 9 more on a loaded machine)."""
    version = required_version(layout, "kubernetes", KUBERNETES)
    major, minor = version.removeprefix("v").split(".")[:2]
    # Unstamped, the server reports v0.0.0 and helm refuses the chart's kubeVersion.
    stamp = " ".join(
        f"-X k8s.io/component-base/version.{name}={value}"
        for name, value in (("gitVersion", version), ("gitMajor", major), ("gitMinor", minor))
    )
    flags = ("-trimpath", "-ldflags", f"-s -w {stamp}")
    built: dict[str, Path] = {}
    for name in ("kube-apiserver", "kube-controller-manager"):
        if not (layout.tools / f"{name}-{version}").is_file():
            print(f"building {name} {version} from the Go module proxy", flush=True)
        package = f"{KUBERNETES}/cmd/{name}"
        built[name] = go_tool(
            layout, "kubernetes", KUBERNETES, package, binary_name=name, flags=flags
        )
    etcd = go_tool(layout, "etcd", ETCD, ".")
    return Binaries(etcd, built["kube-apiserver"], built["kube-controller-manager"], version)


@dataclass(frozen=True)
class ControlPlane:
    server: str  # https://127.0.0.1:<port>
    kubeconfig: Path  # cluster-admin, mode 0600 (helm warns about a readable one)
    pki: Path  # ca.crt, and admin.crt/admin.key for cluster-admin
    workdir: Path  # certificates, etcd data and one log per process
    version: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _openssl(pki: Path, *args: str) -> None:
    result = subprocess.run(
        ["openssl", *args],
        cwd=pki,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ControlPlaneError(f"openssl {args[0]} failed: {result.stderr.strip()}")


_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
# Key identifiers too: strict verifiers (Python 3.13's default) want them on every leaf.
_LEAF = (
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
)


def _certificate(pki: Path, name: str, subject: str, extensions: str) -> None:
    """An EC key and a one-day certificate signed by pki/ca.crt."""
    (pki / f"{name}.ext").write_text(_LEAF + extensions)
    _openssl(pki, "req", "-new", *_EC_KEY, "-keyout", f"{name}.key", "-subj", subject,
             "-out", f"{name}.csr")  # fmt: skip
    _openssl(pki, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-set_serial", str(time.time_ns()), "-days", "1", "-extfile", f"{name}.ext",
             "-out", f"{name}.crt")  # fmt: skip


def _make_pki(pki: Path) -> None:
    pki.mkdir(parents=True)
    _openssl(pki, "req", "-x509", *_EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
             "-subj", "/CN=callplane-k8s-check-ca",
             "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    sans = "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1"
    _certificate(pki, "apiserver", "/CN=kube-apiserver",
                 f"extendedKeyUsage=serverAuth\nsubjectAltName={sans}\n")  # fmt: skip
    # system:masters is cluster-admin; the controller manager uses it too (one identity keeps
    # the check small; a cluster gives each controller its own service account).
    subject = "/O=system:masters/CN=callplane-k8s-check"
    _certificate(pki, "admin", subject, "extendedKeyUsage=clientAuth\n")
    _openssl(pki, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key")
    _openssl(pki, "ec", "-in", "sa.key", "-pubout", "-out", "sa.pub")


def _kubeconfig(path: Path, server: str, pki: Path) -> None:
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: check\n"
        f"clusters: [{{name: check, cluster: {{server: '{server}', "
        f"certificate-authority: '{pki / 'ca.crt'}'}}}}]\n"
        f"users: [{{name: admin, user: {{client-certificate: '{pki / 'admin.crt'}', "
        f"client-key: '{pki / 'admin.key'}'}}}}]\n"
        "contexts: [{name: check, context: {cluster: check, user: admin}}]\n"
    )
    path.chmod(0o600)


def _die_with_parent() -> None:
    # Runs in the child before exec: the kernel sends SIGKILL when the check's process dies.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _Processes:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run yet
            )
        self.running.append((name, proc))
        return proc

    def wait_until(self, what: str, ready: Callable[[], bool], timeout: float = 300.0) -> None:
        """Poll `ready` (bounded), failing at once with the log of a process that exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.running:
                if proc.poll() is not None:
                    log = tail(self.logs / f"{name}.log")
                    raise ControlPlaneError(
                        f"{name} exited ({proc.returncode}) before {what}:\n{log}"
                    )
            if ready():
                return
            time.sleep(0.25)
        logs = "\n".join(tail(self.logs / f"{name}.log", 15) for name, _ in self.running)
        raise ControlPlaneError(f"timed out after {timeout:.0f}s waiting for {what}:\n{logs}")

    def stop_all(self) -> None:
        for _name, proc in reversed(self.running):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.running.clear()


def admin_tls(pki: Path) -> ssl.SSLContext:
    """Trusts only the check's CA and presents the cluster-admin client certificate."""
    context = ssl.create_default_context(cafile=pki / "ca.crt")
    context.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    return context


def _answers(url: str, pki: Path | None = None) -> bool:
    verify: ssl.SSLContext | bool = admin_tls(pki) if pki else True
    try:
        return httpx.get(url, verify=verify, timeout=2).status_code == 200  # noqa: PLR2004
    except httpx.HTTPError:
        return False


def _etcd_argv(binaries: Binaries, data: Path, client: int, peer: int) -> list[str]:
    client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    return [
        str(binaries.etcd),
        "--name=check",
        f"--data-dir={data}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=check={peer_url}",
        "--unsafe-no-fsync",  # a throwaway store: durability buys nothing here
        "--log-level=warn",
    ]


def _apiserver_argv(binaries: Binaries, pki: Path, etcd: int, port: int) -> list[str]:
    return [
        str(binaries.apiserver),
        f"--etcd-servers=http://127.0.0.1:{etcd}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        "--anonymous-auth=false",
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        f"--service-cluster-ip-range={SERVICE_RANGE}",
        # The default reconciler writes the server's address into Endpoints, whose validation
        # refuses loopback addresses.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
    ]


def _controller_manager_argv(binaries: Binaries, pki: Path, kubeconfig: Path) -> list[str]:
    return [
        str(binaries.controller_manager),
        f"--kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--secure-port=0",  # nothing to serve: the check reads the API server
        # Only the controllers whose work the check judges, on a machine it shares: the default
        # ServiceAccount (the readiness signal), Deployments -> ReplicaSets -> Pods, Jobs -> Pods,
        # and the garbage collector, which removes a finished hook Job's Pods when helm deletes
        # the Job (hook-delete-policy), as it would in a cluster.
        "--controllers=" + ",".join(CONTROLLERS),
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        "--profiling=false",
    ]


@contextlib.contextmanager
def control_plane(layout: Layout, workdir: Path) -> Iterator[ControlPlane]:
    """Start etcd, kube-apiserver and kube-controller-manager in `workdir` (emptied first)."""
    built = binaries(layout)
    shutil.rmtree(workdir, ignore_errors=True)
    pki = workdir / "pki"
    _make_pki(pki)
    etcd_client, etcd_peer, port = _free_port(), _free_port(), _free_port()
    server = f"https://127.0.0.1:{port}"
    kubeconfig = workdir / "kubeconfig"
    _kubeconfig(kubeconfig, server, pki)
    processes = _Processes(workdir / "logs")
    try:
        processes.start("etcd", _etcd_argv(built, workdir / "etcd", etcd_client, etcd_peer))
        etcd_health = f"http://127.0.0.1:{etcd_client}/health"
        processes.wait_until("etcd answers", lambda: _answers(etcd_health))
        processes.start("kube-apiserver", _apiserver_argv(built, pki, etcd_client, port))
        processes.wait_until("kube-apiserver is ready", lambda: _answers(f"{server}/readyz", pki))
        processes.start("kube-controller-manager", _controller_manager_argv(built, pki, kubeconfig))
        # The service-account controller creating `default` shows the controllers run.
        default_sa = f"{server}/api/v1/namespaces/default/serviceaccounts/default"
        processes.wait_until("the controllers run", lambda: _answers(default_sa, pki))
        yield ControlPlane(
            server=server,
            kubeconfig=kubeconfig,
            pki=pki,
            workdir=workdir,
            version=built.version,
        )
    finally:
        processes.stop_all()
