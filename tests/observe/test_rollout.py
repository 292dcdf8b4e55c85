"""Readers of 'has the version change landed': KamajiControlPlane status and MachineDeployment
rollout, in the shapes of both API generations (v1alpha1/v1alpha2, v1beta1/v1beta2)."""

from __future__ import annotations

from typing import Any

import pytest

from capi_kamaji_proxmox.observe.rollout import (
    kcp_reported,
    md_progress,
    md_rolled_out,
    old_machinesets,
    upgrade_summary,
)

REFS = {"infrastructureRef": {"name": "pmt-new"}, "bootstrap": {"configRef": {"name": "kct"}}}


def md(gen: str, *, generation: int = 2, observed: int = 2, replicas: int = 3, up: int = 3, ready: int = 3) -> Any:
    status: dict[str, Any] = {"observedGeneration": observed, "replicas": replicas, "readyReplicas": ready}
    status["upToDateReplicas" if gen == "current" else "updatedReplicas"] = up
    return {
        "metadata": {"name": "demo-a-md", "generation": generation},
        "spec": {"replicas": 3, "template": {"spec": {"version": "v1.32.4", **REFS}}},
        "status": status,
    }


def ms(version: str, infra: str, replicas: int) -> Any:
    return {
        "metadata": {"name": f"ms-{infra}-{version}", "labels": {"cluster.x-k8s.io/deployment-name": "demo-a-md"}},
        "spec": {"template": {"spec": {"version": version, **REFS, "infrastructureRef": {"name": infra}}}},
        "status": {"replicas": replicas},
    }


@pytest.mark.parametrize("gen", ["current", "legacy"])
def test_rollout_done_only_when_every_counter_and_old_machineset_agree(gen: str) -> None:
    current = ms("v1.32.4", "pmt-new", 3)
    assert md_rolled_out(md(gen), [current])
    assert not md_rolled_out(md(gen, observed=1), [current])  # status about the previous spec
    assert not md_rolled_out(md(gen, up=2), [current])
    assert not md_rolled_out(md(gen, ready=2), [current])
    old = ms("v1.31.4", "pmt-new", 1)
    assert not md_rolled_out(md(gen), [current, old]) and old_machinesets(md(gen), [old]) == [old]
    assert md_rolled_out(md(gen), [current, ms("v1.31.4", "pmt-new", 0), ms("v1.32.4", "pmt-old", 0)])
    assert not md_rolled_out({"metadata": {"name": "x"}, "spec": {}}, [])  # no status yet
    assert md_progress(md(gen, up=1, ready=2)) == "1/3 updated, 2/3 ready"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"version": "v1.32.4", "ready": True}, ("v1.32.4", True)),
        ({"version": "v1.32.4", "ready": False}, ("v1.32.4", False)),
        ({}, (None, False)),
        # v1alpha1: CAPI v1beta1-style condition
        (
            {
                "version": "v1.32.4",
                "ready": True,
                "conditions": [{"type": "KamajiControlPlaneIsReady", "status": "False"}],
            },
            ("v1.32.4", False),
        ),
        # v1alpha2: metav1 condition
        ({"version": "v1.32.4", "ready": True, "conditions": [{"type": "Ready", "status": "True"}]}, ("v1.32.4", True)),
    ],
)
def test_kamaji_control_plane_reported_version_and_readiness(status: Any, expected: Any) -> None:
    assert kcp_reported({"status": status}) == expected


def kcp(spec: str, reported: str | None, ready: bool = True) -> Any:
    status = {"ready": ready} | ({"version": reported} if reported else {})
    return {"spec": {"version": spec}, "status": status}


def md_at(version: str, done: bool) -> Any:
    obj = md("current", up=3 if done else 1)
    obj["spec"]["template"]["spec"]["version"] = version
    return obj


def test_upgrade_summary_while_steps_run() -> None:
    old, new = "v1.31.4", "v1.32.4"
    assert upgrade_summary(kcp(new, old), [md_at(old, True)] * 3) == (
        "upgrading: control plane v1.31.4 -> v1.32.4 in progress, pools 0/3"
    )
    pools = [md_at(new, True), md_at(new, False), md_at(old, True)]
    assert upgrade_summary(kcp(new, new), pools) == "upgrading: control plane v1.32.4 ready, pools 1/3"
    # every pool asks for the version: no upgrade line (a memory roll is not an upgrade either)
    assert upgrade_summary(kcp(new, new), [md_at(new, True), md_at(new, False)]) == ""
    assert upgrade_summary(kcp(new, new, ready=False), [md_at(old, True)]) == (
        "upgrading: control plane v1.32.4 not ready, pools 0/1"
    )
    # nothing under way, a fresh install that never reported, no control plane: no line
    assert upgrade_summary(kcp(new, new), [md_at(new, True)]) == ""
    assert upgrade_summary(kcp(new, None), [md_at(old, True)]) == ""
    assert upgrade_summary(None, []) == ""
