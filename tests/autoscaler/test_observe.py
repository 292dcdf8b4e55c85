"""describe and status show the cluster's autoscaler: ready or not, its image, min/max per pool."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.autoscaler.conftest import EXAMPLE, Tool

pytestmark = pytest.mark.integration

NAME = "demo-cluster-autoscaler"
IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.5"


def test_describe_and_status_show_the_autoscaler(
    tool: Tool, values_file: Callable[[str, dict[str, Any]], Path]
) -> None:
    values = values_file(
        "demo",
        {
            "autoscaler": {"enabled": True},
            "nodePools": [
                {"name": "workers", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 3}},
                {"name": "fixed", "replicas": 1},
            ],
        },
    )
    tool.ok("install", "demo", "-f", str(EXAMPLE), "-f", str(values), "--skip-preflight")
    view = json.loads(tool.ok("describe", "demo", "-o", "json").stdout)
    assert view["autoscaler"] | {"conditions": []} == {
        "name": NAME,
        "found": True,
        "ready": 0,
        "desired": 1,
        "image": IMAGE,
        "isReady": False,
        "conditions": [],
    }
    assert f"Autoscaler/{NAME}  0/1 ready  image {IMAGE}" in tool.ok("describe", "demo").stdout

    # the Deployment controller's part: its Pod is ready
    path = f"/apis/apps/v1/namespaces/{tool.namespace}/deployments/{NAME}/status"
    tool.cluster.client.request(
        "PATCH",
        path,
        json={"status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    (row,) = json.loads(tool.ok("status", "-o", "json").stdout)
    assert row["autoscaler"]["isReady"] is True and row["autoscaler"]["image"] == IMAGE
    assert [p.get("autoscaling") for p in row["pools"]] == [{"min": 0, "max": 3}, None]
    table = tool.ok("status").stdout.splitlines()
    assert "AUTOSCALER" in table[0]
    assert "ready v1.31.5 (workers 0..3)" in table[1]
