"""A small Kubernetes API client for the loopback control plane (stackctl.kube): reads by
kind through discovery, and keeps every `Warning` header the server sends, since a warning is a
finding for the chart check, not noise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from stackctl.kube import ControlPlane, admin_tls

Obj = dict[str, Any]


class ApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class Resource:
    path: str  # /api/v1 or /apis/<group>/<version>
    plural: str
    namespaced: bool

    def url(self, namespace: str, name: str = "") -> str:
        scope = f"/namespaces/{namespace}" if self.namespaced else ""
        return f"{self.path}{scope}/{self.plural}" + (f"/{name}" if name else "")


@dataclass
class Api:
    plane: ControlPlane
    warnings: list[str] = field(default_factory=list)
    _resources: dict[tuple[str, str], Resource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.plane.server,
            verify=admin_tls(self.plane.pki),
            timeout=30,  # a shared 2-core machine under load answers list calls in seconds
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> Obj:
        response = self._http.request(method, url, **kwargs)
        self.warnings += [f"{method} {url}: {w}" for w in response.headers.get_list("warning")]
        if response.is_error:
            raise ApiError(f"{method} {url}: {response.status_code} {response.text[:500]}")
        body: Obj = response.json()
        return body

    def resource(self, api_version: str, kind: str) -> Resource:
        """Where `kind` of `api_version` lives, from the server's discovery (so a kind the chart
        starts rendering tomorrow needs no table here)."""
        key = (api_version, kind)
        if key not in self._resources:
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            for entry in self.request("GET", path)["resources"]:
                if "/" not in entry["name"]:  # subresources such as pods/status
                    found = Resource(path, entry["name"], entry["namespaced"])
                    self._resources[(api_version, entry["kind"])] = found
        if key not in self._resources:
            raise ApiError(f"the server serves no {kind} in {api_version}")
        return self._resources[key]

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Obj:
        return self.request("GET", self.resource(api_version, kind).url(namespace, name))

    def list(self, api_version: str, kind: str, namespace: str, **params: str) -> list[Obj]:
        url = self.resource(api_version, kind).url(namespace)
        items: list[Obj] = self.request("GET", url, params=params)["items"]
        return items

    def create(self, api_version: str, kind: str, namespace: str, body: Obj) -> Obj:
        url = self.resource(api_version, kind).url(namespace)
        return self.request("POST", url, json={"apiVersion": api_version, "kind": kind, **body})

    def patch_status(self, kind: str, namespace: str, name: str, status: Obj) -> Obj:
        """Merge `status` into a core (v1) object's status, as its kubelet would."""
        url = self.resource("v1", kind).url(namespace, name) + "/status"
        headers = {"Content-Type": "application/merge-patch+json"}
        return self.request("PATCH", url, json={"status": status}, headers=headers)
