"""Fixtures for lifecycle tests: the CLI bound to the harness server, and a way to play the part
of the Cluster API controllers (writing MachineSets, finalizers, status) with real objects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeClient
from tests.rendering import REPO

EXAMPLE = REPO / "examples" / "chart-defaults.yaml"


@dataclass
class Tool:
    """Runs ``capi-kamaji-proxmox`` as a user would, against one namespace of the harness server."""

    cluster: ControlPlane
    namespace: str
    kubeconfig: Path

    def __call__(
        self, *args: str, kubeconfig: Path | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(kubeconfig or self.kubeconfig)}
        env.pop("CI", None)
        return subprocess.run(
            [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", *args, "-n", self.namespace],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )

    def ok(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        result = self(*args, **kw)
        assert result.returncode == 0, f"{args}: rc={result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "-o", "json").stdout)

    @property
    def api(self) -> KubeClient:
        return KubeClient.from_kubeconfig(self.kubeconfig)

    # -- playing the controllers' part ---------------------------------------------------------

    def get(self, api_version: str, kind: str, name: str) -> Any:
        return self.api.get_object(api_version, kind, name, self.namespace)

    def exists(self, api_version: str, kind: str, name: str) -> bool:
        return self.get(api_version, kind, name) is not None  # get_object answers None on 404

    def names(self, api_version: str, kind: str) -> list[str]:
        path = self.api.object_path(api_version, kind, namespace=self.namespace)
        return sorted(i["metadata"]["name"] for i in self.api.get(path)["items"])

    def apply(self, obj: dict[str, Any], manager: str = "test-controller") -> Any:
        return self.api.apply(obj, namespace=self.namespace, field_manager=manager)

    def patch(self, api_version: str, kind: str, name: str, patch: dict[str, Any]) -> Any:
        path = self.api.object_path(api_version, kind, name, self.namespace)
        return self.api.request(
            "PATCH", path, data=json.dumps(patch), headers={"Content-Type": "application/merge-patch+json"}
        )

    def set_status(self, api_version: str, kind: str, name: str, status: dict[str, Any]) -> Any:
        """Write status through the /status subresource, as the owning controller does."""
        body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, "status": status}
        path = self.api.object_path(api_version, kind, name, self.namespace) + "/status"
        return self.api.request(
            "PATCH",
            path,
            params={"fieldManager": "test-controller", "force": "true"},
            data=json.dumps(body),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def kcp_reports(self, version: str, *, ready: bool = True, name: str = "demo") -> None:
        """Write the KamajiControlPlane status as the Kamaji provider does once the version runs."""
        current = self.cluster.generation == "current"
        api = "controlplane.cluster.x-k8s.io/" + ("v1alpha2" if current else "v1alpha1")
        status: dict[str, Any] = {"version": version, "ready": ready, "replicas": 2, "readyReplicas": 2}
        status["selector"] = f"cluster.x-k8s.io/cluster-name={name}"
        if current:
            status.update({"upToDateReplicas": 2, "initialization": {"controlPlaneInitialized": True}})
        else:
            status.update({"updatedReplicas": 2, "unavailableReplicas": 0, "initialized": True})
        self.set_status(api, "KamajiControlPlane", name, status)

    def rollout_done(self, api_version: str, name: str) -> None:
        """Report a MachineDeployment's rollout complete, as its controller would once machines are up."""
        md = self.get(api_version, "MachineDeployment", name)
        n = int(md["spec"].get("replicas") or 0)
        up = "upToDateReplicas" if api_version.endswith("v1beta2") else "updatedReplicas"
        status = {"observedGeneration": md["metadata"]["generation"], "replicas": n, "readyReplicas": n, up: n}
        self.set_status(api_version, "MachineDeployment", name, {**status, "availableReplicas": n})


@pytest.fixture
def tool(mgmt_cluster: ControlPlane, namespace: str) -> Tool:
    return Tool(cluster=mgmt_cluster, namespace=namespace, kubeconfig=mgmt_cluster.kubeconfig)


@pytest.fixture
def preflight_ready(mgmt_cluster: ControlPlane, namespace: str, pve_sim: Any, tmp_path: Path) -> Any:
    """A namespace where every doctor check passes against the simulator, credentials included."""
    from tests.cli.test_doctor_cli import Setup

    setup = Setup(mgmt_cluster, namespace, pve_sim, tmp_path)
    setup.secret()
    return setup
