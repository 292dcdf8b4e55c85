"""``status``: one line per release, and a request count that does not grow with the fleet."""

from __future__ import annotations

import json
from typing import Any

import pytest

from capi_kamaji_proxmox.kube import connect
from capi_kamaji_proxmox.observe import load_status, status_lines, status_rows
from tests.harness.cluster import ControlPlane
from tests.observe.scenarios import build
from tests.observe.world import World
from tests.rendering import cli

pytestmark = pytest.mark.integration


def fleet(plane: ControlPlane, namespace: str, n: int) -> None:
    """``n`` releases ``r0..`` with clusters ``c0..`` (cluster names differ from release names)."""
    for i in range(n):
        w = World(plane, namespace, release=f"r{i}", cluster=f"c{i}", pools={"workers": 1})
        w.install()
        w.cluster_state("Provisioned", ready=True, endpoint=f"10.0.{i // 200}.{i % 200 + 1}:6443")
        w.control_plane_state(ready=2)
        w.md_state("workers", replicas=1, up_to_date=1, ready=1)


def counted_status(plane: ControlPlane, namespace: str | None) -> tuple[list[dict[str, Any]], int, list[str]]:
    with connect(kubeconfig=plane.kubeconfig, namespace=namespace or "default") as client:
        client.counter.reset()
        snap, _ = load_status(client, namespace)
        rows = status_rows(snap, snap.latest_releases(namespace))
        return rows, client.counter.count(), [p for _, p in client.counter.requests]


def test_request_count_is_the_same_for_1_and_50_clusters(mgmt_cluster: ControlPlane) -> None:
    one, many = mgmt_cluster.create_namespace("one"), mgmt_cluster.create_namespace("many")
    fleet(mgmt_cluster, one, 1)
    fleet(mgmt_cluster, many, 50)
    rows1, n1, paths1 = counted_status(mgmt_cluster, one)
    rows50, n50, paths50 = counted_status(mgmt_cluster, many)
    assert len(rows1) == 1 and len(rows50) == 50
    assert n1 == n50, (paths1, paths50)
    # one discovery call, then one LIST each: release records, Cluster, KamajiControlPlane, MachineDeployment
    assert n50 == 5, paths50
    assert sorted(p.rsplit("/", 1)[-1] for p in paths50[1:]) == [
        "clusters",
        "kamajicontrolplanes",
        "machinedeployments",
        "secrets",
    ]
    row = next(r for r in rows50 if r["release"] == "r7")
    assert (row["cluster"], row["phase"], row["version"]) == ("c7", "Provisioned", "v1.32.2")
    assert row["controlPlane"] == {"ready": 2, "desired": 2, "isReady": True}
    assert row["pools"] == [
        {"name": "workers", "ready": 1, "desired": 1, "rollingOut": False, "progress": "", "missing": False}
    ]
    # all namespaces: still one LIST per kind
    rows_all, n_all, _ = counted_status(mgmt_cluster, None)
    assert n_all == 5
    assert {(r["namespace"], r["release"]) for r in rows_all} >= {(one, "r0"), (many, "r49")}


@pytest.mark.parametrize("state", ["rolling", "deleting"])
def test_status_line_per_state(world: World, state: str) -> None:
    build(world, state)
    with world.ours() as client:
        snap, _ = load_status(client, world.namespace)
    rows = status_rows(snap, snap.latest_releases(world.namespace))
    lines = [" ".join(x.text.split()) for x in status_lines(rows, all_namespaces=False)]
    assert lines[0] == "RELEASE CLUSTER PHASE VERSION CONTROL PLANE NODES ROLLOUT REVISION STATUS"
    if state == "rolling":
        assert rows[0]["rollingOut"] == ["workers"]
        assert lines[1] == ("demo prod Provisioned v1.32.2 2/2 workers 3/2, gpu 1/1 workers 1/2 up to date 1 deployed")
    else:
        assert rows[0]["deleting"] is True
        assert lines[1] == "demo prod Deleting v1.32.2 2/2 workers 1/2, gpu 1/1 - 1 deployed"


def test_status_cli_all_namespaces_and_json(world: World) -> None:
    build(world, "healthy")
    kubeconfig = str(world.plane.kubeconfig)
    table = cli("status", "-A", "--kubeconfig", kubeconfig)
    assert table.returncode == 0, table.stderr
    header, *body = table.stdout.splitlines()
    assert header.split()[:3] == ["NAMESPACE", "RELEASE", "CLUSTER"]
    mine = [" ".join(x.split()) for x in body if x.startswith(world.namespace)]
    assert mine == [
        f"{world.namespace} demo prod Provisioned v1.32.2 2/2 workers 2/2, gpu 1/1 - 1 deployed no kubeconfig yet"
    ]
    js = cli("status", "-n", world.namespace, "-o", "json", "--kubeconfig", kubeconfig)
    assert js.returncode == 0, js.stderr
    rows = json.loads(js.stdout)
    assert [(r["release"], r["cluster"], r["rollingOut"]) for r in rows] == [("demo", "prod", [])]
    both = cli("status", "-A", "-n", "x", "--kubeconfig", kubeconfig)
    assert both.returncode == 2 and "either -A or -n" in both.stderr
