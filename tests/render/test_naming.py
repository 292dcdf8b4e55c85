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
