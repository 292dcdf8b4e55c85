"""``describe`` against the harness API server, for each cluster state and both API generations.

The objects are written as the controllers would (see ``world.py``); each test asserts the JSON
view (what ``-o json`` prints) and the tree lines a person reads.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from capi_kamaji_proxmox.observe import ReleaseMissing, describe_lines, describe_view, load_describe
from tests.observe.scenarios import CLONE_FULL, build
from tests.observe.world import World

pytestmark = pytest.mark.integration


def describe(w: World, show: str = "failing") -> tuple[dict[str, Any], list[str]]:
    with w.ours() as client:
        snap, _ = load_describe(client, w.namespace, w.release)
    view = describe_view(snap, w.namespace, w.release)
    return view, [" ".join(line.text.split()) for line in describe_lines(view, show)]


def pool(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in view["pools"] if p["name"] == name)


def machine(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for p in view["pools"] for m in p["machines"] if m["name"] == name)


def line(lines: list[str], start: str) -> str:
    """The one tree line whose label (after the tree glyphs) starts with ``start``."""
    found = [x for x in lines if x.lstrip("│├└─ ").startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0].lstrip("│├└─ ")


def after(lines: list[str], start: str) -> list[str]:
    """Note lines printed under the line starting with ``start`` (up to the next object line)."""
    idx = next(i for i, x in enumerate(lines) if x.lstrip("│├└─ ").startswith(start))
    out = []
    for x in lines[idx + 1 :]:
        body = x.lstrip("│├└─ ")
        if re.match(r"(Cluster|KamajiControlPlane|Workers|Pool|MachineSet|Machine)[/ ]", body):
            break
        out.append(body)
    return out


def api_versions(w: World, view: dict[str, Any]) -> None:
    assert view["cluster"]["apiVersion"] == w.api("Cluster")
    assert view["controlPlane"]["apiVersion"] == w.api("KamajiControlPlane")
    for p in view["pools"]:
        assert p["machineDeployment"]["apiVersion"] == w.api("MachineDeployment")
        for m in p["machines"]:
            assert m["apiVersion"] == w.api("Machine")


def test_provisioning(world: World) -> None:
    build(world, "provisioning")
    view, lines = describe(world)
    api_versions(world, view)
    assert view["release"] == {
        "name": "demo",
        "namespace": world.namespace,
        "revision": 1,
        "status": "deployed",
        "description": "Install complete",
    }
    cl = view["cluster"]
    assert (cl["name"], cl["phase"], cl["endpoint"], cl["deleting"]) == ("prod", "Provisioning", "", False)
    # the generation decides which summary condition exists: Available (v1beta2) or Ready (v1beta1)
    assert (cl["available"], cl["ready"]) == (("False", None) if world.gen == "current" else (None, "False"))
    cp = view["controlPlane"]
    assert (cp["ready"], cp["desired"], cp["initialized"], cp["dataStore"]) == (0, 2, False, "default")
    md = pool(view, "workers")["machineDeployment"]
    assert (md["desired"], md["upToDate"], md["ready"], md["phase"]) == (2, 1, 0, "ScalingUp")
    assert md["rollout"]["inProgress"] is False  # scaling up is not a rollout
    m = machine(view, "prod-workers-md-aaaaa-m1")
    assert (m["phase"], m["nodeName"], m["infrastructure"]["vmID"], m["infrastructure"]["proxmoxNode"]) == (
        "Provisioning",
        "",
        None,
        "pve1",
    )
    vm_cond = m["infrastructure"]["conditions"][0]
    assert (vm_cond["type"], vm_cond["status"], vm_cond["message"]) == (
        "VMProvisioned",
        "False",
        "cloning template 9000 on pve1",
    )
    assert pool(view, "gpu")["machineDeployment"]["autoscaling"] == {"min": 1, "max": 4}

    assert lines[0] == f"Release demo in {world.namespace}: revision 1 (deployed)"
    summary = "Available=False" if world.gen == "current" else "Ready=False"
    assert line(lines, "Cluster/prod") == f"Cluster/prod Provisioning {summary} version v1.32.2 endpoint pending"
    assert line(lines, "KamajiControlPlane/prod") == (
        "KamajiControlPlane/prod 0/2 ready version v1.32.2 endpoint pending datastore default not initialized"
    )
    assert line(lines, "Pool workers") == (
        "Pool workers MachineDeployment/prod-workers-md ScalingUp desired 2 updated 1 ready 0 available 0"
    )
    assert re.fullmatch(
        r"Machine/prod-workers-md-aaaaa-m1 Provisioning no node pve pve1 vm \? \(pending\) \d+s",
        line(lines, "Machine/prod-workers-md-aaaaa-m1"),
    )
    notes = after(lines, "Machine/prod-workers-md-aaaaa-m1")
    severity = "" if world.gen == "current" else ", Error"
    assert f"ProxmoxMachine: ✗ VMProvisioned=False (Cloning{severity}): cloning template 9000 on pve1" in notes


def test_healthy(world: World) -> None:
    build(world, "healthy")
    view, lines = describe(world)
    api_versions(world, view)
    cl, cp = view["cluster"], view["controlPlane"]
    assert (cl["phase"], cl["endpoint"], cl["version"]) == ("Provisioned", "10.0.10.20:6443", "v1.32.2")
    assert (cp["ready"], cp["desired"], cp["isReady"], cp["endpoint"]) == (2, 2, True, "10.0.10.20:6443")
    md = pool(view, "workers")["machineDeployment"]
    assert (md["desired"], md["upToDate"], md["ready"], md["available"]) == (2, 2, 2, 2)
    assert md["templates"] == dict(zip(("infrastructure", "bootstrap"), world.md_templates("workers"), strict=True))
    got = [
        (
            m["name"],
            m["nodeName"],
            m["addresses"][0]["address"],
            m["infrastructure"]["proxmoxNode"],
            m["infrastructure"]["vmID"],
        )
        for m in pool(view, "workers")["machines"]
    ]
    assert got == [
        ("prod-workers-md-aaaaa-m1", "prod-workers-m1", "10.0.20.11", "pve1", 101),
        ("prod-workers-md-aaaaa-m2", "prod-workers-m2", "10.0.20.12", "pve2", 102),
    ]
    assert view["problems"] == []
    # nothing is failing, so the default tree lists no condition at all
    assert not [x for x in lines if "✗" in x or "✓" in x]
    assert re.fullmatch(
        r"Machine/prod-workers-md-aaaaa-m2 Running node prod-workers-m2 10\.0\.20\.12 pve pve2 vm 102 \(ready\) \d+s",
        line(lines, "Machine/prod-workers-md-aaaaa-m2"),
    )
    assert line(lines, "Pool gpu").endswith("desired 1 updated 1 ready 1 available 1 autoscale 1..4")
    _, all_lines = describe(world, "all")
    ok = "✓ Ready=True (Ready)" if world.gen == "current" else "✓ Ready=True"
    assert ok in after(all_lines, "Machine/prod-workers-md-aaaaa-m1")


def test_rolling_out_one_pool(world: World) -> None:
    build(world, "rolling")
    view, lines = describe(world)
    workers = pool(view, "workers")
    ro = workers["machineDeployment"]["rollout"]
    assert (ro["inProgress"], ro["progress"]) == (True, "1/2 up to date")
    if world.gen == "current":
        assert ro["message"] == "2 Machines not up-to-date"
    assert [(s["name"], s["role"], s["ready"], s["desired"]) for s in workers["machineSets"]] == [
        ("prod-workers-md-aaaaa", "old", 2, 2),
        ("prod-workers-md-ccccc", "new", 1, 1),
    ]
    assert [m["machineSet"] for m in workers["machines"]] == [
        "prod-workers-md-aaaaa",
        "prod-workers-md-aaaaa",
        "prod-workers-md-ccccc",
    ]
    assert pool(view, "gpu")["machineDeployment"]["rollout"]["inProgress"] is False

    assert line(lines, "Pool workers").endswith("desired 2 updated 1 ready 3 available 3 ROLLING OUT 1/2 up to date")
    infra, _ = world.md_templates("workers")
    assert (
        line(lines, "MachineSet/prod-workers-md-ccccc")
        == f"MachineSet/prod-workers-md-ccccc new 1/1 ready template {infra}"
    )
    assert line(lines, "MachineSet/prod-workers-md-aaaaa").startswith("MachineSet/prod-workers-md-aaaaa old 2/2 ready")
    # machines are nested under their MachineSet during a rollout
    order = [x.lstrip("│├└─ ").split(" ")[0] for x in lines]
    i_new = order.index("MachineSet/prod-workers-md-ccccc")
    assert order[i_new + 1] == "Machine/prod-workers-md-ccccc-m3"
    assert order.index("Machine/prod-workers-md-aaaaa-m2") < i_new
    # the steady pool shows no MachineSet lines
    assert not [x for x in order if x.startswith("MachineSet/prod-gpu")]


def test_machine_failing_with_message(world: World) -> None:
    build(world, "failing")
    view, lines = describe(world)
    m2 = machine(view, "prod-workers-md-aaaaa-m2")
    conds = {c["type"]: c for c in m2["conditions"]}
    assert conds["InfrastructureReady"]["status"] == "False"
    assert conds["InfrastructureReady"]["message"] == CLONE_FULL
    assert m2["infrastructure"]["vmID"] == 105
    notes = after(lines, "Machine/prod-workers-md-aaaaa-m2")
    severity = "" if world.gen == "current" else ", Error"
    assert f"✗ InfrastructureReady=False (CloneFailed{severity}): {CLONE_FULL}" in notes
    assert f"ProxmoxMachine: ✗ VMProvisioned=False (CloneFailed{severity}): storage 'ceph-vm' is full" in notes
    if world.gen == "legacy":  # v1beta1 failureReason/failureMessage are surfaced too
        assert f"✗ Failure (CreateError, Error): {CLONE_FULL}" in notes
    assert after(lines, "Machine/prod-workers-md-aaaaa-m1") == []  # the healthy machine has nothing to say
    assert line(lines, "Pool workers").endswith("desired 2 updated 2 ready 1 available 1")


def test_deleting(world: World) -> None:
    build(world, "deleting")
    view, lines = describe(world)
    cl = view["cluster"]
    assert (cl["deleting"], cl["phase"]) == (True, "Deleting")
    deleting = next(c for c in cl["conditions"] if c["type"] == "Deleting")
    assert (deleting["status"], deleting["message"]) == ("True", "Deleting 2 MachineDeployments")
    m1 = machine(view, "prod-workers-md-aaaaa-m1")
    assert (m1["deleting"], m1["phase"]) == (True, "Deleting")
    assert line(lines, "Cluster/prod").endswith("endpoint 10.0.10.20:6443 DELETING")
    assert any(
        n.startswith("… Deleting=True") and n.endswith("Deleting 2 MachineDeployments")
        for n in after(lines, "Cluster/prod")
    )
    assert line(lines, "Machine/prod-workers-md-aaaaa-m1").startswith("Machine/prod-workers-md-aaaaa-m1 Deleting node")


def test_release_without_objects_says_what_is_missing(world: World) -> None:
    world.release, world.cluster = "lonely", "ghost"
    world.install()
    with world.ours() as client:
        for kind, name in (("Cluster", "ghost"), ("KamajiControlPlane", "ghost")):
            client.request("DELETE", world.path(kind, name))
        snap, _ = load_describe(client, world.namespace, "lonely")
    view = describe_view(snap, world.namespace, "lonely")
    assert view["cluster"] is None
    assert "Cluster ghost not found (not created yet, or already deleted)" in view["problems"]
    lines = [x.text for x in describe_lines(view)]
    assert "! Cluster ghost not found (not created yet, or already deleted)" in lines


def test_missing_release(world: World) -> None:
    with world.ours() as client, pytest.raises(ReleaseMissing, match="release 'nope' not found in namespace"):
        load_describe(client, world.namespace, "nope")
