"""Fixtures of the autoscaling tier: Cluster API and the workload cluster played by the test, and the
real Cluster Autoscaler started from the Deployment the tool installed."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.autoscaler.process import Autoscaler
from tests.autoscaler.sim import Capi, Workload
from tests.harness.cluster import ControlPlane
from tests.lifecycle.conftest import EXAMPLE, Tool, tool  # noqa: F401 - the shared CLI fixture

__all__ = ["EXAMPLE", "Tool"]


@pytest.fixture(autouse=True)
def forget_releases(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test, delete the release records it left in its namespace of the shared management
    cluster: `status -A` in later tests must not find this tier's releases (with their autoscalers)."""
    if "namespace" not in request.fixturenames:
        yield
        return
    plane: ControlPlane = request.getfixturevalue("mgmt_cluster")
    namespace: str = request.getfixturevalue("namespace")
    yield
    plane.client.request(
        "DELETE", f"/api/v1/namespaces/{namespace}/secrets", params={"labelSelector": "owner=helm"}, what="cleanup"
    )


@pytest.fixture
def capi(mgmt_cluster: ControlPlane, namespace: str) -> Capi:
    return Capi(mgmt_cluster, namespace)


@pytest.fixture
def workload(workload_cluster: ControlPlane) -> Iterator[Workload]:
    w = Workload(workload_cluster)
    try:
        yield w
    finally:
        w.cleanup()


@pytest.fixture
def values_file(tmp_path: Path) -> Callable[[str, dict[str, object]], Path]:
    """Write a values file for the test and return its path."""

    def write(name: str, values: dict[str, object]) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(values))
        return path

    return write


def publish_kubeconfig(mgmt: ControlPlane, workload: ControlPlane, namespace: str, cluster: str) -> None:
    """The Secret Cluster API writes once the control plane is up: ``<cluster>-kubeconfig``, key value."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"{cluster}-kubeconfig",
            "namespace": namespace,
            "labels": {"cluster.x-k8s.io/cluster-name": cluster},
        },
        "type": "cluster.x-k8s.io/secret",
        "data": {"value": base64.b64encode(workload.kubeconfig.read_bytes()).decode()},
    }
    mgmt.client.request("POST", f"/api/v1/namespaces/{namespace}/secrets", json=body)


@pytest.fixture
def run_autoscaler(
    autoscaler_bin: Path, mgmt_cluster: ControlPlane, namespace: str, tmp_path: Path
) -> Iterator[Callable[[str], Autoscaler]]:
    """Start the real autoscaler from a live Deployment; stopped (log tail printed) at teardown."""
    started: list[Autoscaler] = []

    def start(deployment: str) -> Autoscaler:
        proc = Autoscaler(autoscaler_bin, mgmt_cluster, namespace, deployment, tmp_path)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()
        print(f"--- cluster-autoscaler decisions ({proc.log_path}) ---\n{proc.summary()}")
