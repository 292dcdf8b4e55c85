"""Cluster states for the observe tests, written as the controllers would leave them."""

from __future__ import annotations

from tests.observe.world import HOLD, Machine, World

STATES = ("provisioning", "healthy", "rolling", "failing", "deleting")
CLONE_FULL = "VM pve2/105: clone failed: storage 'ceph-vm' is full"


def _healthy_top(w: World) -> None:
    w.cluster_state("Provisioned", ready=True, endpoint="10.0.10.20:6443")
    w.control_plane_state(ready=2)


def _gpu_steady(w: World) -> None:
    w.md_state("gpu", replicas=1, up_to_date=1, ready=1)
    w.machine_set("gpu", "prod-gpu-md-bbbbb", replicas=1, ready=1)
    w.machine(
        "gpu",
        Machine(
            "prod-gpu-md-bbbbb-g1",
            "prod-gpu-md-bbbbb",
            node="prod-gpu-g1",
            address="10.0.20.31",
            pve_node="pve3",
            vmid=201,
        ),
    )


def build(w: World, state: str) -> None:
    """Install the release and write the objects of ``state``."""
    w.install()
    if state == "provisioning":
        w.cluster_state("Provisioning", ready=False)
        w.control_plane_state(ready=0)
        w.md_state("workers", replicas=1, up_to_date=1, ready=0, phase="ScalingUp")
        w.machine_set("workers", "prod-workers-md-aaaaa", replicas=2, ready=0)
        w.machine(
            "workers",
            Machine(
                "prod-workers-md-aaaaa-m1",
                "prod-workers-md-aaaaa",
                phase="Provisioning",
                infra_failing=("VMProvisioned", "Cloning", "cloning template 9000 on pve1"),
            ),
        )
        return
    _healthy_top(w)
    _gpu_steady(w)
    m1 = Machine(
        "prod-workers-md-aaaaa-m1", "prod-workers-md-aaaaa", node="prod-workers-m1", address="10.0.20.11", vmid=101
    )
    m2 = Machine(
        "prod-workers-md-aaaaa-m2",
        "prod-workers-md-aaaaa",
        node="prod-workers-m2",
        address="10.0.20.12",
        pve_node="pve2",
        vmid=102,
    )
    if state == "healthy":
        w.md_state("workers", replicas=2, up_to_date=2, ready=2)
        w.machine_set("workers", "prod-workers-md-aaaaa", replicas=2, ready=2)
        w.machine("workers", m1)
        w.machine("workers", m2)
    elif state == "rolling":
        w.md_state("workers", replicas=3, up_to_date=1, ready=3, rolling="2 Machines not up-to-date")
        w.machine_set("workers", "prod-workers-md-aaaaa", replicas=2, ready=2, old=True)
        w.machine_set("workers", "prod-workers-md-ccccc", replicas=1, ready=1)
        w.machine("workers", m1)
        w.machine("workers", m2)
        w.machine(
            "workers",
            Machine(
                "prod-workers-md-ccccc-m3",
                "prod-workers-md-ccccc",
                node="prod-workers-m3",
                address="10.0.20.13",
                vmid=103,
            ),
        )
    elif state == "failing":
        w.md_state("workers", replicas=2, up_to_date=2, ready=1)
        w.machine_set("workers", "prod-workers-md-aaaaa", replicas=2, ready=1)
        w.machine("workers", m1)
        m2.node, m2.address, m2.vmid, m2.phase = None, None, 105, "Provisioning"
        m2.failing = ("InfrastructureReady", "CloneFailed", CLONE_FULL)
        m2.infra_failing = ("VMProvisioned", "CloneFailed", "storage 'ceph-vm' is full")
        w.machine("workers", m2)
    elif state == "deleting":
        w.md_state("workers", replicas=1, up_to_date=1, ready=1, phase="ScalingDown")
        w.machine_set("workers", "prod-workers-md-aaaaa", replicas=1, ready=1)
        m1.deleting, m1.phase = True, "Deleting"
        w.machine("workers", m1)
        w.apply(
            {"apiVersion": w.api("Cluster"), "kind": "Cluster", "metadata": {"name": w.cluster, "finalizers": [HOLD]}},
            manager="finalizer-sim",
        )
        w.cluster_state(
            "Deleting",
            ready=False,
            endpoint="10.0.10.20:6443",
            conditions=[w.cond("Deleting", "True", "Deleting", "Deleting 2 MachineDeployments")],
        )
        w.delete("Cluster", w.cluster)
    else:
        raise ValueError(state)
