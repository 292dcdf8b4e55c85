"""Template names change exactly when what would be in the template changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.rendering import EXAMPLES, names, render_config

BASE: dict[str, Any] = {
    "nodePools": [
        {"name": "a", "replicas": 2, "users": [{"name": "ops", "sshAuthorizedKeys": ["ssh-ed25519 AAAA a@x"]}]},
        {"name": "b", "replicas": 1},
    ]
}


def template_names(config: dict[str, Any], generation: str = "current") -> dict[str, list[str]]:
    objs = render_config(config, generation=generation)
    return {k: names(objs, k) for k in ("ProxmoxMachineTemplate", "KubeadmConfigTemplate", "MachineDeployment")}


def changed(config: dict[str, Any]) -> dict[str, list[bool]]:
    before, after = template_names(BASE), template_names(config)
    return {k: [x != y for x, y in zip(before[k], after[k], strict=True)] for k in before}


def with_pool(i: int, **kw: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(BASE)
    cfg["nodePools"][i].update(kw)
    return cfg


def test_memory_renames_only_that_pools_machine_template() -> None:
    assert changed(with_pool(0, memoryMiB=16384)) == {
        "ProxmoxMachineTemplate": [True, False],
        "KubeadmConfigTemplate": [False, False],
        "MachineDeployment": [False, False],
    }


def test_ssh_keys_rename_only_that_pools_bootstrap_template() -> None:
    cfg = with_pool(0, users=[{"name": "ops", "sshAuthorizedKeys": ["ssh-ed25519 BBBB b@x"]}])
    assert changed(cfg) == {
        "ProxmoxMachineTemplate": [False, False],
        "KubeadmConfigTemplate": [True, False],
        "MachineDeployment": [False, False],
    }


@pytest.mark.parametrize(
    "change",
    [
        {"replicas": 7},
        {"autoscaling": {"enabled": True, "minSize": 1, "maxSize": 9}},
        {"rollout": {"maxSurge": 2}},
        {"nodeDrainTimeout": "5m"},
        {"machineHealthCheck": {"enabled": True}},
        {"labels": "node-role.kubernetes.io/worker="},  # a Machine label: propagated in place
    ],
)
def test_changes_that_rename_nothing(change: dict[str, Any]) -> None:
    cfg = with_pool(0, **change)
    if "autoscaling" in change:
        cfg["nodePools"][0].pop("replicas")
    assert changed(cfg) == {
        k: [False, False] for k in ("ProxmoxMachineTemplate", "KubeadmConfigTemplate", "MachineDeployment")
    }


def test_kubelet_labels_and_taints_roll_bootstrap_only() -> None:
    for kw in ({"labels": "tier=web"}, {"taints": "a=b:NoSchedule"}):
        assert changed(with_pool(1, **kw))["KubeadmConfigTemplate"] == [False, True]
        assert changed(with_pool(1, **kw))["ProxmoxMachineTemplate"] == [False, False]


def test_reordering_and_reformatting_values_renames_nothing() -> None:
    text = yaml.safe_dump(BASE, sort_keys=True)
    reordered = yaml.safe_load(text)
    reordered["nodePools"] = [dict(reversed(list(p.items()))) for p in reordered["nodePools"]]
    flow = yaml.safe_load(yaml.safe_dump(reordered, default_flow_style=True))
    assert template_names(flow) == template_names(BASE)


def test_set_like_lists_in_any_order_rename_nothing() -> None:
    one = with_pool(0, tags=["a", "b"], templateSelector={"matchTags": ["x", "y"]}, templateId=None, sourceNode=None)
    two = with_pool(0, tags=["b", "a"], templateSelector={"matchTags": ["y", "x"]}, templateId=None, sourceNode=None)
    assert template_names(one) == template_names(two)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_generation_switch_renames_nothing(example: Any) -> None:
    config = yaml.safe_load(example.read_text())
    assert template_names(config, "current") == template_names(config, "legacy")


def test_version_rolls_machine_deployment_not_templates() -> None:
    cfg = copy.deepcopy(BASE)
    cfg["cluster"] = {"version": "v1.32.0"}
    before, after = render_config(BASE), render_config(cfg)
    assert names(before, "ProxmoxMachineTemplate") == names(after, "ProxmoxMachineTemplate")
    md = next(o for o in after if o["kind"] == "MachineDeployment")
    assert md["spec"]["template"]["spec"]["version"] == "v1.32.0"


def test_template_name_shape() -> None:
    objs = render_config({})
    (pmt,) = names(objs, "ProxmoxMachineTemplate")
    (kct,) = names(objs, "KubeadmConfigTemplate")
    assert pmt.startswith("demo-default-proxmox-machine-template-") and len(pmt.rsplit("-", 1)[1]) == 8
    assert kct.startswith("demo-default-kubeadmconfig-") and len(kct.rsplit("-", 1)[1]) == 8


# --------------------------------------------------------------------------- property: what renames what

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# (values key of a pool, two different values, the template kind it must rename, or None for none)
SETTINGS: list[tuple[str, Any, Any, str | None]] = [
    ("memoryMiB", 4096, 16384, "ProxmoxMachineTemplate"),
    ("numCores", 2, 8, "ProxmoxMachineTemplate"),
    ("numSockets", 1, 2, "ProxmoxMachineTemplate"),
    ("storage", "local", "ceph", "ProxmoxMachineTemplate"),
    ("format", "qcow2", "raw", "ProxmoxMachineTemplate"),
    ("disks", {"bootVolume": {"disk": "scsi0", "sizeGb": 25}}, {"bootVolume": {"disk": "scsi0", "sizeGb": 60}},
     "ProxmoxMachineTemplate"),
    ("templateId", 100, 200, "ProxmoxMachineTemplate"),
    ("allowedNodes", ["a"], ["a", "b"], "ProxmoxMachineTemplate"),
    ("tags", ["x"], ["x", "y"], "ProxmoxMachineTemplate"),
    ("network", {"bridge": "vmbr0"}, {"bridge": "vmbr1"}, "ProxmoxMachineTemplate"),
    ("users", [{"name": "a", "sshAuthorizedKeys": ["k1"]}], [{"name": "a", "sshAuthorizedKeys": ["k2"]}],
     "KubeadmConfigTemplate"),
    ("additionalCloudInitFiles", "#cloud-config\n", "#cloud-config\ntimezone: UTC\n", "KubeadmConfigTemplate"),
    ("preKubeadmCommands", ["a"], ["b"], "KubeadmConfigTemplate"),
    ("taints", "a=b:NoSchedule", "a=c:NoSchedule", "KubeadmConfigTemplate"),
    ("labels", "tier=a", "tier=b", "KubeadmConfigTemplate"),
    ("replicas", 1, 5, None),
    ("rollout", {"maxSurge": 1}, {"maxSurge": 3}, None),
    ("nodeDrainTimeout", "1m", "10m", None),
    ("machineHealthCheck", {"enabled": False}, {"enabled": True}, None),
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    setting=st.sampled_from(SETTINGS),
    pool_count=st.integers(1, 3),
    target=st.integers(0, 2),
    generation=st.sampled_from(["current", "legacy"]),
)
def test_a_setting_renames_exactly_its_template_in_exactly_its_pool(
    setting: tuple[str, Any, Any, str | None], pool_count: int, target: int, generation: str
) -> None:
    key, before, after, renamed = setting
    target %= pool_count

    def config(value: Any) -> dict[str, Any]:
        pools = [{"name": f"p{i}", "replicas": 1} for i in range(pool_count)]
        pools[target][key] = value
        return {"nodePools": pools}

    old, new = (template_names(config(v), generation) for v in (before, after))
    for kind in ("ProxmoxMachineTemplate", "KubeadmConfigTemplate"):
        changed_pools = [i for i, (a, b) in enumerate(zip(old[kind], new[kind], strict=True)) if a != b]
        assert changed_pools == ([target] if kind == renamed else []), (key, kind)
    assert old["MachineDeployment"] == new["MachineDeployment"]
