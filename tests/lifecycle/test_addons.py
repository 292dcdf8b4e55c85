"""Add-on objects are part of the release: installed with it, selecting exactly its Cluster in the
real API server, and removed only after the Cluster is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lifecycle.conftest import Tool
from tests.lifecycle.test_lifecycle import CORE

pytestmark = pytest.mark.integration

ADDONS = "addons.cluster.x-k8s.io"
HCP = f"{ADDONS}/v1alpha1"
CRS = {"current": f"{ADDONS}/v1beta2", "legacy": f"{ADDONS}/v1beta1"}
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cilium-config, namespace: kube-system}\n"


def selected(tool: Tool, selector: dict[str, dict[str, str]]) -> list[str]:
    """Clusters of the namespace a clusterSelector matches, asked of the API server itself."""
    gen = tool.cluster.generation
    labels = ",".join(f"{k}={v}" for k, v in selector["matchLabels"].items())
    path = tool.api.object_path(CORE[gen], "Cluster", namespace=tool.namespace)
    return sorted(i["metadata"]["name"] for i in tool.api.get(path, params={"labelSelector": labels})["items"])


def test_addons_select_exactly_their_cluster_and_go_after_it(tool: Tool, tmp_path: Path) -> None:
    gen = tool.cluster.generation
    manifest = tmp_path / "cilium.yaml"
    manifest.write_text(MANIFEST)
    tool.ok(
        "install",
        "demo",
        "--skip-preflight",
        "--set",
        "addons.cni.provider=calico",
        "--set",
        "addons.extra[0].name=metrics-server,addons.extra[0].repoURL=https://kubernetes-sigs.github.io/metrics-server",
        "--set",
        "addons.extra[0].chartName=metrics-server",
    )
    tool.ok(
        "install",
        "other",
        "--skip-preflight",
        "--set",
        "addons.cni.provider=cilium",
        "--set-file",
        f"addons.cni.manifest={manifest}",
    )
    assert tool.names(HCP, "HelmChartProxy") == ["demo-cni", "demo-metrics-server"]
    for name in ("demo-cni", "demo-metrics-server"):
        assert selected(tool, tool.get(HCP, "HelmChartProxy", name)["spec"]["clusterSelector"]) == ["demo"]
    crs = tool.get(CRS[gen], "ClusterResourceSet", "other-cni")
    assert selected(tool, crs["spec"]["clusterSelector"]) == ["other"]
    assert tool.get("v1", "ConfigMap", "other-cni")["data"] == {"cni.yaml": MANIFEST}
    assert tool.get(CORE[gen], "Cluster", "demo")["metadata"]["labels"]["cni"] == "calico"

    # the Cluster is held by Cluster API's finalizer: its add-ons stay while it exists
    tool.patch(CORE[gen], "Cluster", "demo", {"metadata": {"finalizers": ["cluster.cluster.x-k8s.io"]}})
    assert tool("uninstall", "demo", "--timeout", "2").returncode == 1
    assert tool.names(HCP, "HelmChartProxy") == ["demo-cni", "demo-metrics-server"]
    tool.patch(CORE[gen], "Cluster", "demo", {"metadata": {"finalizers": None}})
    tool.ok("uninstall", "demo")
    assert tool.names(HCP, "HelmChartProxy") == []
    tool.ok("uninstall", "other")
    assert tool.names(CRS[gen], "ClusterResourceSet") == [] and "other-cni" not in tool.names("v1", "ConfigMap")
