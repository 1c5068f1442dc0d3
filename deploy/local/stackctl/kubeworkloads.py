"""What the controllers made of a release's workloads on the node-less control plane
(stackctl.kube): whether the Pods they created were admitted, and a stand-in for the kubelet
that lets hook Jobs finish.

Pod Security judges Pods, not Deployments: a Deployment whose template breaks `restricted` is
stored (with a warning) and only its ReplicaSet's Pods are refused, which the controller records
as a FailedCreate event. So admission is asserted on the Pods the controllers created.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Self

import httpx

from stackctl.kubeapi import Api, Obj

POLL_SECONDS = 0.25


def pod_spec(doc: Obj) -> Obj | None:
    """The pod template's spec of a workload, whatever its kind (None for other kinds)."""
    spec = doc.get("spec") or {}
    if "jobTemplate" in spec:  # CronJob
        spec = spec["jobTemplate"].get("spec") or {}
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None


def secret_references(docs: list[Obj]) -> dict[str, set[str]]:
    """Secret name -> keys that the rendered pod templates read (env, envFrom, volumes)."""
    wanted: dict[str, set[str]] = {}
    for spec in filter(None, map(pod_spec, docs)):
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            for env in container.get("env", []):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    wanted.setdefault(ref["name"], set()).add(ref["key"])
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    wanted.setdefault(source["secretRef"]["name"], set())
        for volume in spec.get("volumes", []):
            secret = volume.get("secret")
            if secret:
                keys = {item["key"] for item in secret.get("items", [])}
                wanted.setdefault(secret["secretName"], set()).update(keys)
    return wanted


def _owner_uids(obj: Obj) -> list[str]:
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences", [])]


def _deployment_pods_created(api: Api, namespace: str, deployment: Obj) -> str | None:
    """None once the newest ReplicaSet of `deployment` has all its Pods; else what is missing."""
    name = deployment["metadata"]["name"]
    live = api.get("apps/v1", "Deployment", namespace, name)
    if live.get("status", {}).get("observedGeneration") != live["metadata"]["generation"]:
        return f"Deployment {name}: not yet observed by its controller"
    uid = live["metadata"]["uid"]
    owned = [rs for rs in api.list("apps/v1", "ReplicaSet", namespace) if uid in _owner_uids(rs)]
    if not owned:
        return f"Deployment {name}: no ReplicaSet"
    revision = "deployment.kubernetes.io/revision"
    newest = max(owned, key=lambda rs: int(rs["metadata"].get("annotations", {}).get(revision, 0)))
    wanted = newest["spec"].get("replicas", 1)
    newest_uid = newest["metadata"]["uid"]
    pods = [p for p in api.list("v1", "Pod", namespace) if newest_uid in _owner_uids(p)]
    if wanted < 1 or len(pods) < wanted:
        return f"Deployment {name}: {len(pods)} of {wanted} Pods of its newest ReplicaSet exist"
    return None


def _failed_creates(api: Api, namespace: str) -> list[str]:
    return [
        f"{e['involvedObject']['kind']} {e['involvedObject']['name']}: FailedCreate: {e['message']}"
        for e in api.list("v1", "Event", namespace)
        if e.get("reason") == "FailedCreate"
    ]


def pods_admitted(api: Api, namespace: str, docs: list[Obj], timeout: float = 180.0) -> list[str]:
    """Wait (bounded) until every rendered Deployment's Pods exist; findings otherwise.

    Any FailedCreate event in the namespace is a finding at once: it is how a controller says
    that admission (Pod Security, quota, validation) refused a Pod it tried to create."""
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    deadline = time.monotonic() + timeout
    while True:
        refused = _failed_creates(api, namespace)
        if refused:
            return sorted(set(refused))
        missing = [m for d in deployments if (m := _deployment_pods_created(api, namespace, d))]
        if not missing:
            return []
        if time.monotonic() > deadline:
            return [f"after {timeout:.0f}s: {m}" for m in missing]
        time.sleep(POLL_SECONDS)


class KubeletStandIn:
    """Reports every Pod of a Job in `namespace` as Succeeded, so the Job controller completes
    the Job and helm's pre-install/pre-upgrade hooks finish. Nothing runs: the Pods only had to
    be created and admitted, which is what `admitted` records (Job name -> Pod names). The real
    run of a hook needs a cluster with nodes."""

    def __init__(self, api: Api, namespace: str) -> None:
        self.api = api
        self.namespace = namespace
        self.admitted: dict[str, set[str]] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kubelet-stand-in", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.api.close()  # its own client: the thread never shares the caller's

    def _job_pods(self) -> Iterator[tuple[str, Obj]]:
        for pod in self.api.list("v1", "Pod", self.namespace):
            for ref in pod["metadata"].get("ownerReferences", []):
                if ref["kind"] == "Job":
                    yield ref["name"], pod

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                for job, pod in self._job_pods():
                    self.admitted.setdefault(job, set()).add(pod["metadata"]["name"])
                    if pod.get("status", {}).get("phase") in {"Pending", None}:
                        self._succeed(pod)
            except httpx.TimeoutException:
                continue  # a loaded server answering late: the next poll asks again
            except Exception as exc:  # noqa: BLE001 - reported by the check, not lost in a thread
                self.errors.append(f"kubelet stand-in: {exc}")
                return

    def _succeed(self, pod: Obj) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        finished = {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}
        statuses = [
            {
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": finished},
            }
            for c in pod["spec"]["containers"]
        ]
        status = {"phase": "Succeeded", "startTime": now, "containerStatuses": statuses}
        self.api.patch_status("Pod", self.namespace, pod["metadata"]["name"], status)
