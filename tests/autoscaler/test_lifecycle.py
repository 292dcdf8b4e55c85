"""install applies the autoscaler with the release (strict field validation, both generations);
uninstall stops it, and waits for its Pods, before it deletes the Cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.autoscaler.conftest import EXAMPLE, Tool
from tests.harness.kubeapply import KubeAPIError
from tests.lifecycle.test_interop import _bind

pytestmark = pytest.mark.integration

NAME = "demo-cluster-autoscaler"
SELECTOR = {"app.kubernetes.io/name": "cluster-autoscaler", "app.kubernetes.io/instance": NAME}
AUTOSCALED = {
    "autoscaler": {"enabled": True},
    "nodePools": [{"name": "workers", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 3}}],
}


def core(tool: Tool) -> str:
    return "cluster.x-k8s.io/" + ("v1beta2" if tool.cluster.generation == "current" else "v1beta1")


def autoscaler_pod(tool: Tool, name: str) -> None:
    """A Pod of the autoscaler Deployment, as its ReplicaSet would have created it."""
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": SELECTOR},
        "spec": {"containers": [{"name": "cluster-autoscaler", "image": "registry.k8s.io/pause:3.10"}]},
    }
    tool.cluster.client.request("POST", f"/api/v1/namespaces/{tool.namespace}/pods", json=body)


def exists(tool: Tool, api_version: str, kind: str, name: str) -> bool:
    try:
        return tool.cluster.client.get_object(api_version, kind, name, tool.namespace) is not None
    except KubeAPIError as exc:
        if exc.status == 404:
            return False
        raise


def test_install_applies_the_autoscaler_and_uninstall_stops_it_before_the_cluster(
    tool: Tool, values_file: Callable[[str, dict[str, Any]], Path]
) -> None:
    values = values_file("demo", AUTOSCALED)
    tool.ok("install", "demo", "-f", str(EXAMPLE), "-f", str(values), "--skip-preflight")
    for api, kind in (
        ("v1", "ServiceAccount"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("apps/v1", "Deployment"),
    ):
        assert exists(tool, api, kind, NAME), kind
    autoscaler_pod(tool, "demo-cluster-autoscaler-abc12-x1")

    # its Pod does not go (no garbage collector yet): the uninstall stops there, Cluster untouched
    slow = tool("uninstall", "demo", "--timeout", "3")
    assert slow.returncode == 1
    assert "waiting for the autoscaler's Pods to stop; the Cluster was not deleted" in slow.stderr
    assert "demo-cluster-autoscaler-abc12-x1" in slow.stderr
    assert not exists(tool, "apps/v1", "Deployment", NAME)
    assert exists(tool, core(tool), "Cluster", "demo")

    # resumed: it waits on the Pod; the Cluster outlives the Pod (the garbage collector's part is ours)
    env = {**os.environ, "KUBECONFIG": str(tool.kubeconfig)}
    env.pop("CI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", "uninstall", "demo", "-n", tool.namespace],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith("waiting: autoscaler Pod(s) still running: demo-cluster-autoscaler-abc12-x1"):
            time.sleep(2)
            assert exists(tool, core(tool), "Cluster", "demo"), "the Cluster went while the autoscaler ran"
            tool.cluster.client.request(
                "DELETE", f"/api/v1/namespaces/{tool.namespace}/pods/demo-cluster-autoscaler-abc12-x1"
            )
    assert proc.wait(timeout=60) == 0, lines
    assert any(ln.startswith("waiting: autoscaler Pod(s)") for ln in lines), lines
    order = [ln for ln in lines if ln.startswith("deleted ")]
    assert order[0] == "deleted Cluster demo", order  # the Deployment went in the first run
    first = [ln for ln in slow.stderr.splitlines() if ln.startswith("deleted ")]
    assert first == [f"deleted Deployment {NAME}"], first  # and nothing else did
    assert not exists(tool, core(tool), "Cluster", "demo")
    assert not exists(tool, "v1", "ServiceAccount", NAME)


def test_documented_role_is_enough_with_the_autoscaler(
    tool: Tool, values_file: Callable[[str, dict[str, Any]], Path]
) -> None:
    """docs/rbac.yaml covers the autoscaler's objects, including granting its Role (no escalation)."""
    _bind(tool, "carol")
    carol = tool.cluster.user_kubeconfig("carol")
    values = str(values_file("demo", AUTOSCALED))
    for args in (
        ("install", "demo", "-f", str(EXAMPLE), "-f", values, "--skip-preflight"),
        (
            "upgrade",
            "demo",
            "-f",
            str(EXAMPLE),
            "-f",
            values,
            "--skip-preflight",
            "--set",
            "autoscaler.extraArgs[0]=--v=4",
        ),
        ("status",),
        ("describe", "demo"),
        ("uninstall", "demo"),
    ):
        result = tool(*args, kubeconfig=carol)
        assert result.returncode == 0, f"{args}: {result.stderr}"
