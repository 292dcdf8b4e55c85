"""doctor's autoscaling checks against the management cluster: who scales the pools, and the
autoscaler's kubeconfig Secret."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.autoscaler.conftest import EXAMPLE, Tool, publish_kubeconfig
from tests.harness.cluster import ControlPlane

pytestmark = pytest.mark.integration

POOLS = [{"name": "workers", "autoscaling": {"enabled": True, "minSize": 1, "maxSize": 3}}]


def checks(tool: Tool, values: Path, *extra: str) -> dict[str, dict[str, str]]:
    out = tool("doctor", "demo", "-f", str(EXAMPLE), "-f", str(values), "--skip-proxmox", "-o", "json", *extra)
    assert out.returncode in (0, 1) and "Traceback" not in out.stderr, out.stderr
    return {c["name"]: c for c in json.loads(out.stdout)["checks"]}


@pytest.fixture
def hand_installed(mgmt_cluster: ControlPlane) -> Iterator[Callable[[str, str], None]]:
    """Install autoscaler Deployments by hand; removed afterwards (they would see other tests' pools)."""
    made: list[str] = []

    def make(namespace: str, discovery: str) -> None:
        readme_autoscaler(mgmt_cluster, namespace, discovery)
        made.append(namespace)

    yield make
    for ns in made:
        mgmt_cluster.client.request("DELETE", f"/apis/apps/v1/namespaces/{ns}/deployments/cluster-autoscaler")


def readme_autoscaler(plane: ControlPlane, namespace: str, discovery: str) -> None:
    """An autoscaler installed by hand, like the chart README's helm line does (label-only discovery)."""
    plane.client.create_namespace(namespace)
    labels = {"app": "cluster-autoscaler"}
    plane.client.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "cluster-autoscaler", "namespace": namespace},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "cluster-autoscaler",
                                "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.5",
                                "command": ["./cluster-autoscaler", "--cloud-provider=clusterapi"],
                                "args": [f"--node-group-auto-discovery={discovery}", "--kubeconfig=/x"],
                            }
                        ]
                    },
                },
            },
        }
    )


def test_autoscaled_pools_without_an_autoscaler_warn_and_name_the_key(
    tool: Tool, values_file: Callable[[str, dict[str, Any]], Path]
) -> None:
    off = values_file("off", {"nodePools": POOLS})
    got = checks(tool, off)["autoscaler"]
    assert got["status"] == "warn"
    assert "pools workers are autoscaled, but no Cluster Autoscaler" in got["found"]
    assert "autoscaler.enabled=true" in got["fix"]
    # install runs the same checks first and shows the warning
    install = tool("install", "demo", "-f", str(EXAMPLE), "-f", str(off))
    assert "WARN  autoscaler: pools workers are autoscaled" in install.stderr
    # nothing autoscaled: no autoscaling check at all
    assert "autoscaler" not in checks(tool, values_file("fixed", {"nodePools": [{"name": "w", "replicas": 1}]}))


def test_a_hand_installed_autoscaler_is_named_with_its_flags(
    tool: Tool, values_file: Callable[[str, dict[str, Any]], Path], hand_installed: Callable[[str, str], None]
) -> None:
    elsewhere = f"{tool.namespace}-ca"
    hand_installed(elsewhere, "clusterapi:autoscaling=enabled")
    # the tool's autoscaler off: the hand-installed one serves the pools
    got = checks(tool, values_file("off", {"nodePools": POOLS}))["autoscaler"]
    assert got["status"] == "pass"
    assert f"Deployment {elsewhere}/cluster-autoscaler" in got["found"]
    # on: two autoscalers would fight over the same MachineDeployments
    on = values_file("on", {"autoscaler": {"enabled": True}, "nodePools": POOLS})
    result = checks(tool, on)
    got = result["autoscaler"]
    assert got["status"] == "fail"
    assert (
        f"Deployment {elsewhere}/cluster-autoscaler (--node-group-auto-discovery=clusterapi:autoscaling=enabled)"
        in got["found"]
    )
    assert result["autoscaler-kubeconfig"]["status"] == "warn"
    assert "demo-kubeconfig does not exist yet" in result["autoscaler-kubeconfig"]["found"]


def test_a_scoped_autoscaler_of_another_cluster_is_no_conflict(
    tool: Tool,
    values_file: Callable[[str, dict[str, Any]], Path],
    workload_cluster: ControlPlane,
    hand_installed: Callable[[str, str], None],
) -> None:
    hand_installed(f"{tool.namespace}-x", f"clusterapi:namespace={tool.namespace},clusterName=other")
    publish_kubeconfig(tool.cluster, workload_cluster, tool.namespace, "demo")
    result = checks(tool, values_file("on", {"autoscaler": {"enabled": True}, "nodePools": POOLS}))
    assert result["autoscaler"]["status"] == "pass"
    assert result["autoscaler-kubeconfig"] == {
        "name": "autoscaler-kubeconfig",
        "status": "pass",
        "found": f"Secret {tool.namespace}/demo-kubeconfig key value holds a kubeconfig",
        "fix": "",
    }
