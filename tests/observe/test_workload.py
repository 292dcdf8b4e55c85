"""The workload cluster's own health in `describe` and `status`, read through the kubeconfig Secret
from a second harness API server that plays the workload cluster."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from capi_kamaji_proxmox.kube import connect
from capi_kamaji_proxmox.observe import load_status, status_rows
from capi_kamaji_proxmox.observe.workload_load import status_workloads
from tests.harness.cluster import ControlPlane
from tests.observe import workload as wl
from tests.observe.scenarios import build
from tests.observe.test_status import fleet
from tests.observe.workload import HangingServer
from tests.observe.world import World
from tests.rendering import cli

pytestmark = pytest.mark.integration

NODES = ("prod-workers-m1", "prod-workers-m2", "prod-gpu-g1")  # the nodeRefs of the "healthy" scenario


def describe(world: World, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("describe", "demo", "-n", world.namespace, "--kubeconfig", str(world.plane.kubeconfig), *extra)


def describe_json(world: World, *extra: str) -> Any:
    result = describe(world, "-o", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["workload"]


def healthy_with_workload(world: World, workload_cluster: ControlPlane, **kubeconfig: Any) -> Any:
    build(world, "healthy")
    wl.kubeconfig_secret(world.kc, world.namespace, "prod", wl.kubeconfig_text(workload_cluster, **kubeconfig))
    return wl.reset(workload_cluster)


def test_no_cni_is_named(world: World, workload_cluster: ControlPlane) -> None:
    kc = healthy_with_workload(world, workload_cluster)
    for name in NODES:
        wl.node(kc, name, ready=False, message=wl.NO_NETWORK)
    result = describe(world)
    assert result.returncode == 0, result.stderr
    tail = result.stdout.split("Workload cluster ", 1)[1].splitlines()
    assert tail[0] == f"{workload_cluster.server}: 0/3 nodes ready (gpu 0/1, workers 0/2)"
    assert tail[1] == "  ! no CNI: every node is NotReady with NetworkPluginNotReady (install one: addons.cni.provider)"
    view = describe_json(world)
    assert view["state"] == "degraded" and view["requests"] == 2  # nodes + kube-system pods


def test_ready_nodes_counted_per_pool_and_causes(world: World, workload_cluster: ControlPlane) -> None:
    kc = healthy_with_workload(world, workload_cluster)
    wl.node(kc, "prod-workers-m1", ready=True)
    wl.node(kc, "prod-workers-m2", ready=True, provider_id=None)
    wl.node(kc, "prod-gpu-g1", ready=True)
    wl.node(kc, "stray", ready=True)  # no Machine points at it
    wl.crash_looping_pod(kc, "coredns-7db6d8ff4d-abcde", "coredns", restarts=12)
    view = describe_json(world)
    assert view["nodes"] == {"ready": 4, "total": 4}
    assert view["pools"] == [{"name": "gpu", "ready": 1, "total": 1}, {"name": "workers", "ready": 2, "total": 2}]
    assert view["unmatched"] == ["stray"]
    assert view["causes"] == [
        "no providerID on prod-workers-m2: their Machines stay Provisioned and the autoscaler cannot map them",
        "kube-system pod coredns-7db6d8ff4d-abcde: container coredns crash-looping (12 restarts, last exit Error)",
    ]
    # all fine: no causes, and --no-workload skips the workload cluster entirely
    wl.reset(workload_cluster)
    for name in NODES:
        wl.node(kc, name, ready=True)
    assert describe_json(world)["causes"] == []
    plain = describe(world, "--no-workload")
    assert plain.returncode == 0 and "Workload cluster" not in plain.stdout


def test_nodes_not_created_yet(world: World, workload_cluster: ControlPlane) -> None:
    healthy_with_workload(world, workload_cluster)
    view = describe_json(world)
    assert (view["state"], view["causes"]) == ("no-nodes", ["no nodes yet: no machine has joined the workload cluster"])


def test_no_kubeconfig_yet(world: World) -> None:
    build(world, "provisioning")
    view = describe_json(world)
    assert view["state"] == "no-kubeconfig" and "no kubeconfig for cluster 'prod' yet" in view["error"]


def test_unreachable_workload_cluster_says_why(
    world: World, workload_cluster: ControlPlane, mgmt_cluster: ControlPlane, hanging_server: HangingServer
) -> None:
    # hangs: accepted, never answered -> a timeout line; the subprocess bound fails the test otherwise
    healthy_with_workload(world, workload_cluster, server=hanging_server.url)
    result = describe(world, "--workload-timeout", "1")
    assert result.returncode == 0, result.stderr
    assert f"Workload cluster {hanging_server.url}: UNREACHABLE" in result.stdout
    assert "  ! unreachable: timeout: no answer within 1s" in result.stdout
    assert hanging_server.accepted >= 1
    # TLS: the right server, a CA that did not sign its certificate
    other = World(world.plane, mgmt_cluster.create_namespace("tls"))
    build(other, "healthy")
    wl.kubeconfig_secret(other.kc, other.namespace, "prod", wl.kubeconfig_text(workload_cluster, ca_from=mgmt_cluster))
    view = describe_json(other)
    assert view["state"] == "unreachable" and view["error"].startswith("TLS: ")
    # refused: nothing listens there
    third = World(world.plane, mgmt_cluster.create_namespace("refused"))
    build(third, "healthy")
    wl.kubeconfig_secret(
        third.kc, third.namespace, "prod", wl.kubeconfig_text(workload_cluster, server="https://127.0.0.1:9")
    )
    assert describe_json(third)["error"] == "connection refused"


def _counted(plane: ControlPlane, namespace: str, timeout: float) -> tuple[list[dict[str, Any]], int, Any]:
    with connect(kubeconfig=plane.kubeconfig, namespace=namespace) as client:
        client.counter.reset()
        snap, _ = load_status(client, namespace)
        rows = status_rows(snap, snap.latest_releases(namespace))
        stats = status_workloads(client, namespace, rows, timeout=timeout)
        return rows, client.counter.count(), stats


def test_status_of_50_clusters_with_10_workloads_and_one_hanging(
    mgmt_cluster: ControlPlane, workload_cluster: ControlPlane, hanging_server: HangingServer
) -> None:
    kc = wl.reset(workload_cluster)
    wl.node(kc, "shared-node", ready=True)
    one, many = mgmt_cluster.create_namespace("wl-one"), mgmt_cluster.create_namespace("wl-many")
    fleet(mgmt_cluster, one, 1)
    fleet(mgmt_cluster, many, 50)
    good = wl.kubeconfig_text(workload_cluster)
    wl.kubeconfig_secret(mgmt_cluster.client, one, "c0", good)
    for i in range(10):
        text = wl.kubeconfig_text(workload_cluster, server=hanging_server.url) if i == 3 else good
        wl.kubeconfig_secret(mgmt_cluster.client, many, f"c{i}", text)

    rows1, n1, _ = _counted(mgmt_cluster, one, 1.0)
    rows50, n50, stats = _counted(mgmt_cluster, many, 1.0)
    # management side: the same requests for 1 and 50 clusters (status's 5, plus Secrets and Machines)
    assert n1 == n50 == 7
    assert (stats.clusters, stats.unreachable, stats.requests) == (10, 1, 10)  # one request per workload cluster
    by_cluster = {r["cluster"]: r["workload"] for r in rows50}
    assert by_cluster["c3"]["state"] == "unreachable" and by_cluster["c3"]["error"].startswith("timeout")
    assert {c for c, w in by_cluster.items() if w["state"] == "ok"} == {f"c{i}" for i in range(10) if i != 3}
    assert all(by_cluster[f"c{i}"]["state"] == "no-kubeconfig" for i in range(10, 50))
    assert rows1[0]["workload"]["nodes"] == {"ready": 1, "total": 1}

    # the CLI, all namespaces: bounded by the subprocess timeout even though one server hangs
    result = cli("status", "-A", "--workload-timeout", "2", "--kubeconfig", str(mgmt_cluster.kubeconfig))
    assert result.returncode == 0, result.stderr
    header, *body = result.stdout.splitlines()
    assert header.split()[-1] == "WORKLOAD"
    lines = {" ".join(x.split()[:3]): " ".join(x.split()) for x in body}
    assert lines[f"{many} r3 c3"].endswith("unreachable (timeout)")
    assert lines[f"{many} r0 c0"].endswith("1/1 nodes ready")
    assert lines[f"{many} r49 c49"].endswith("no kubeconfig yet")
    assert "unreachable; management cluster: 7 request(s)" in result.stderr
    skipped = cli("status", "-A", "--no-workload", "--kubeconfig", str(mgmt_cluster.kubeconfig))
    assert "WORKLOAD" not in skipped.stdout and "workload clusters" not in skipped.stderr
