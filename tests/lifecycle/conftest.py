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


@pytest.fixture
def tool(mgmt_cluster: ControlPlane, namespace: str) -> Tool:
    return Tool(cluster=mgmt_cluster, namespace=namespace, kubeconfig=mgmt_cluster.kubeconfig)
