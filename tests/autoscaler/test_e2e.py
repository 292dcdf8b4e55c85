"""The real Cluster Autoscaler (1.35.2, clusterapi provider) against the release the tool installed.

Two harness API servers: the management cluster (provider CRDs of one generation, the release) and a
bare one that plays the workload cluster. The autoscaler runs with the rendered Deployment's
arguments and the rendered ServiceAccount's token; Cluster API, kubelets and the scheduler are
played by the test (tests/autoscaler/sim.py). One autoscaler process per scenario group. Its
clusterapi provider reads the group's preferred version and both reference shapes
(``apiVersion`` in v1beta1, ``apiGroup`` in v1beta2), so every scenario runs in both generations.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.autoscaler.conftest import EXAMPLE, Tool, publish_kubeconfig
from tests.autoscaler.process import Autoscaler
from tests.autoscaler.sim import DELETE_MACHINE, WEBHOOK, Capi, Workload, wait_for

pytestmark = pytest.mark.integration

ValuesFile = Callable[[str, dict[str, Any]], Path]
Start = Callable[[str], Autoscaler]
TOOL_MANAGER = "capi-kamaji-proxmox"
GPU_TOLERATION = [{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]


def pool(name: str, lo: int, hi: int, labels: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "autoscaling": {"enabled": True, "minSize": lo, "maxSize": hi}, "labels": labels, **extra}


def provider_id() -> str:
    return f"proxmox://{uuid.uuid4()}"


def install(tool: Tool, name: str, values: Path) -> None:
    tool.ok("install", name, "-f", str(EXAMPLE), "-f", str(values), "--skip-preflight")


def wait_registered(workload: Workload, *md_names: str) -> str:
    """Until the autoscaler's status ConfigMap lists every node group: its first loops are done."""
    return str(
        wait_for(
            f"node groups {md_names} in the autoscaler status",
            lambda: (s := workload.status_configmap()) and all(n in s for n in md_names) and s,
        )
    )


def test_scale_from_zero_stays_in_its_cluster_and_is_bound_by_the_role(
    tool: Tool, capi: Capi, workload: Workload, values_file: ValuesFile, run_autoscaler: Start
) -> None:
    """Scenarios 1 (scale from zero), 3 (a second release is never touched) and 5 (RBAC)."""
    demo = values_file(
        "demo",
        {
            "autoscaler": {"enabled": True},
            "nodePools": [
                pool("gpu", 0, 2, "pool=gpu", taints="gpu=true:NoSchedule", numCores=4, numSockets=1),
                pool("workers", 0, 3, "pool=workers"),
            ],
        },
    )
    other = values_file("other", {"nodePools": [pool("workers", 0, 3, "pool=other")]})
    install(tool, "demo", demo)
    install(tool, "other", other)
    for md in ("demo-gpu-md", "demo-workers-md", "other-workers-md"):
        capi.default_replicas(md, 0)
    publish_kubeconfig(tool.cluster, workload.plane, tool.namespace, "demo")
    ca = run_autoscaler("demo-cluster-autoscaler")
    status = wait_registered(workload, "demo-gpu-md", "demo-workers-md")
    assert "other-workers-md" not in status

    # 1. a Pod that needs the gpu pool's taint, label and cores: 0 -> 1 for that pool only
    workload.pod("gpu-job", cpu="3", node_selector={"pool": "gpu"}, tolerations=GPU_TOLERATION)
    wait_for("demo-gpu-md scaled 0 -> 1", lambda: capi.replicas("demo-gpu-md") == 1)
    # ... a Pod too big for any pool, and one that only the other cluster's pool would fit
    workload.pod("huge", cpu="64")
    workload.pod("other-job", cpu="1", node_selector={"pool": "other"})
    for pod in ("huge", "other-job"):
        wait_for(f"the autoscaler to give up on {pod}", lambda pod=pod: "NotTriggerScaleUp" in workload.events(pod))
    assert capi.replicas("demo-gpu-md") == 1
    assert capi.replicas("demo-workers-md") == 0
    # 3. the other release's pool: never scaled, never written by the autoscaler
    assert capi.replicas("other-workers-md") == 0
    assert capi.managers("other-workers-md") <= {TOOL_MANAGER, WEBHOOK}
    assert capi.managers("demo-gpu-md") - {TOOL_MANAGER, WEBHOOK}, "the scale-up was written by someone"
    # 5. everything above was allowed by the rendered Role
    assert ca.forbidden() == []

    # 5. one verb less (patch on the scale subresource) and the scale-up is denied
    role_path = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{tool.namespace}/roles/demo-cluster-autoscaler"
    role = tool.cluster.client.get(role_path)
    for rule in role["rules"]:
        if "machinedeployments/scale" in rule["resources"]:
            rule["verbs"] = [v for v in rule["verbs"] if v != "patch"]
    tool.cluster.client.request("PUT", role_path, json=role)
    workload.pod("workers-job", cpu="1", node_selector={"pool": "workers"})
    denial = 'cannot patch resource "machinedeployments/scale"'
    wait_for("the denied scale-up in the autoscaler log", lambda: any(denial in ln for ln in ca.forbidden()))
    assert capi.replicas("demo-workers-md") == 0


def test_scale_up_then_down_and_upgrade_leaves_replicas_alone(
    tool: Tool, capi: Capi, workload: Workload, values_file: ValuesFile, run_autoscaler: Start
) -> None:
    """Scenarios 2 (1 -> 2 with a node, then the empty node goes: 2 -> 1) and 4 (upgrade keeps replicas)."""
    values = values_file(
        "demo",
        {
            "autoscaler": {
                "enabled": True,
                "scaleDownUnneededTime": "10s",
                "scaleDownDelayAfterAdd": "10s",
                "extraArgs": ["--v=4"],  # its log says why, should the scenario fail
            },
            "nodePools": [pool("workers", 1, 3, "pool=workers", numCores=2, numSockets=2)],
        },
    )
    install(tool, "demo", values)
    md = "demo-workers-md"
    capi.default_replicas(md, 1)
    ms = capi.machine_set(md, 1)
    first = provider_id()
    m1 = capi.add_machine(md, ms, first)
    workload.node("workers-1", first, {"pool": "workers"}, "4", "8Gi", capi.node_annotations(m1))
    capi.node_joined(m1, "workers-1")
    workload.pod("busy", cpu="3", node="workers-1")  # no controller: this node is never removed
    publish_kubeconfig(tool.cluster, workload.plane, tool.namespace, "demo")
    ca = run_autoscaler("demo-cluster-autoscaler")
    wait_registered(workload, md)

    # 2. a Pod that does not fit beside "busy": 1 -> 2
    workload.pod("more", cpu="2", node_selector={"pool": "workers"})
    wait_for(f"{md} scaled 1 -> 2", lambda: capi.replicas(md) == 2)
    # CAPI at once: the MachineSet follows, a Machine is created and its VM provisioned (no node yet)
    capi.scale_machine_set(ms, 2)
    second = provider_id()
    m2 = capi.add_machine(md, ms, second)

    # 4. an upgrade (a new Kubernetes minor) after the autoscaler changed replicas leaves them alone.
    # A version change goes in steps, control plane first: the test plays Kamaji reporting versions.
    upgrade = ("upgrade", "demo", "-f", str(EXAMPLE), "-f", str(values))
    upgrade += ("--set", "cluster.controlPlane.version=v1.32.3", "--skip-preflight")

    def image() -> str:
        return str(ca.deployment()["spec"]["template"]["spec"]["containers"][0]["image"])

    md_api = "cluster.x-k8s.io/" + ("v1beta2" if tool.cluster.generation == "current" else "v1beta1")
    tool.kcp_reports("v1.31.4")
    tool.rollout_done(md_api, md)  # the pool's machines run the current template
    step1 = tool(*upgrade, "--timeout", "2s")
    assert step1.returncode == 1 and "control plane" in step1.stderr, step1.stderr
    assert capi.replicas(md) == 2 and image().endswith(":v1.31.5"), image()  # not ahead of the control plane
    tool.kcp_reports("v1.32.3")
    tool.ok(*upgrade)  # the pools' step
    assert capi.replicas(md) == 2
    assert image().endswith(":v1.32.7"), image()  # the autoscaler's minor moved with the cluster's

    # 2. the Pod that asked for it is gone, then the node joins: empty, it goes again: 2 -> 1.
    # (Joining while the Pod is pending would place it there in the autoscaler's simulation: a Pod
    # without a controller makes that node unremovable for the next 5 minutes.)
    workload.delete_pod("more")
    workload.node("workers-2", second, {"pool": "workers"}, "4", "8Gi", capi.node_annotations(m2))
    capi.node_joined(m2, "workers-2")
    wait_for(
        "the empty node's Machine marked and replicas 2 -> 1",
        lambda: DELETE_MACHINE in (capi.machine(m2)["metadata"].get("annotations") or {}) and capi.replicas(md) == 1,
        timeout=120,
    )
    assert DELETE_MACHINE not in (capi.machine(m1)["metadata"].get("annotations") or {})
    assert ca.forbidden() == []
