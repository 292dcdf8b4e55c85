"""What one step applies: only the control plane's version, only some pools' versions, or the new
render with the pools that have not moved yet kept exactly as they were."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.lifecycle.version_state import pool_keys, pool_of, step_objects
from capi_kamaji_proxmox.lifecycle.version_steps import ApplyControlPlane, ApplyPools, Desired, Live, PoolLive


def objs(version: str, pools: list[str], digest: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"kind": "Cluster", "apiVersion": "c/v", "metadata": {"name": "demo"}, "spec": {}},
        {"kind": "KamajiControlPlane", "apiVersion": "k/v", "metadata": {"name": "demo"}, "spec": {"version": version}},
    ]
    for p in pools:
        pmt, kct = f"demo-{p}-proxmox-machine-template-{digest}", f"demo-{p}-kubeadmconfig-{digest}"
        out += [
            {"kind": "ProxmoxMachineTemplate", "apiVersion": "i/v", "metadata": {"name": pmt}, "spec": {}},
            {"kind": "KubeadmConfigTemplate", "apiVersion": "b/v", "metadata": {"name": kct}, "spec": {}},
            {
                "kind": "MachineDeployment",
                "apiVersion": "c/v",
                "metadata": {"name": f"demo-{p}-md"},
                "spec": {
                    "template": {
                        "spec": {
                            "version": version,
                            "infrastructureRef": {"name": pmt},
                            "bootstrap": {"configRef": {"name": kct}},
                        }
                    }
                },
            },
        ]
    return out


def names(items: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in items]


def test_control_plane_step_changes_only_its_version() -> None:
    prev = objs("v1.31.4", ["a"], "old")
    out = step_objects(
        ApplyControlPlane("v1.32.4"), Desired("v1.32.4", ("a",)), Live("v1.31.4", "v1.31.4", True), "demo", prev, []
    )
    assert out[1]["spec"]["version"] == "v1.32.4" and prev[1]["spec"]["version"] == "v1.31.4"
    assert out[4]["spec"]["template"]["spec"]["version"] == "v1.31.4" and names(out) == names(prev)


def test_intermediate_pools_step_moves_only_their_version() -> None:
    prev = objs("v1.32.9", ["a", "b"], "old")
    step = ApplyPools(("a",), "v1.32.9", final=False)
    live = Live("v1.32.9", "v1.32.9", True, {"a": PoolLive("v1.31.4", True), "b": PoolLive("v1.31.4", True)})
    prev[4]["spec"]["template"]["spec"]["version"] = prev[7]["spec"]["template"]["spec"]["version"] = "v1.31.4"
    out = step_objects(step, Desired("v1.33.1", ("a", "b")), live, "demo", prev, [])
    assert [o["spec"]["template"]["spec"]["version"] for o in out if o["kind"] == "MachineDeployment"] == [
        "v1.32.9",
        "v1.31.4",
    ]


def test_final_serial_step_keeps_unmoved_pools_and_removed_pools_until_the_last_step() -> None:
    prev = objs("v1.32.4", ["a", "b", "gone"], "old")
    new = objs("v1.32.4", ["a", "b"], "new")  # the render: new templates (e.g. memory changed)
    live = Live(
        "v1.32.4",
        "v1.32.4",
        True,
        {"a": PoolLive("v1.31.4", True), "b": PoolLive("v1.31.4", True), "gone": PoolLive("v1.31.4", True)},
    )
    desired = Desired("v1.32.4", ("a", "b"), "serial")
    out = step_objects(ApplyPools(("a",), "v1.32.4", final=True), desired, live, "demo", prev, new)
    assert "demo-a-proxmox-machine-template-new" in names(out) and "demo-a-proxmox-machine-template-old" not in names(
        out
    )
    assert "demo-b-proxmox-machine-template-old" in names(out) and "demo-b-proxmox-machine-template-new" not in names(
        out
    )
    assert "demo-gone-md" in names(out)  # removed pools stay until the last step
    # order: each pool's templates before its MachineDeployment
    assert names(out).index("demo-b-kubeadmconfig-old") < names(out).index("demo-b-md")
    live.pools["a"] = PoolLive("v1.32.4", True)
    last = step_objects(ApplyPools(("b",), "v1.32.4", final=True), desired, live, "demo", prev, new)
    assert names(last) == names(new)


def test_pool_identity() -> None:
    prev = objs("v1.32.4", ["a", "a-b"], "x")
    assert {k[2] for k in pool_keys(prev, "demo", "a")} == {
        "demo-a-md",
        "demo-a-proxmox-machine-template-x",
        "demo-a-kubeadmconfig-x",
    }
    assert pool_of("demo", "demo-a-b-md") == "a-b" and pool_of("demo", "other") == "other"


def test_autoscaler_image_moves_with_the_final_pools_step_never_before() -> None:
    """The release's autoscaler follows the Kubernetes minor: it keeps the old image through the
    control-plane step and the intermediate pool steps, and takes the new one with the final step."""
    from capi_kamaji_proxmox import api

    def values(version: str) -> dict[str, Any]:
        autoscaled = {"enabled": True, "minSize": 1, "maxSize": 3}
        return {
            "cluster": {"version": version},
            "autoscaler": {"enabled": True},
            "nodePools": [{"name": "a", "autoscaling": autoscaled}, {"name": "b", "autoscaling": autoscaled}],
        }

    def image(items: list[dict[str, Any]]) -> str:
        (deploy,) = [o for o in items if o["kind"] == "Deployment"]
        return str(deploy["spec"]["template"]["spec"]["containers"][0]["image"])

    old, new = api.render(values("v1.31.4"), release_name="demo"), api.render(values("v1.32.4"), release_name="demo")
    assert image(old).endswith(":v1.31.5") and image(new).endswith(":v1.32.7")
    desired = Desired("v1.32.4", ("a", "b"), "serial")
    before = {"a": PoolLive("v1.31.4", True), "b": PoolLive("v1.31.4", True)}
    cp = step_objects(ApplyControlPlane("v1.32.4"), desired, Live("v1.31.4", "v1.31.4", True, before), "demo", old, new)
    assert image(cp) == image(old)
    live = Live("v1.32.4", "v1.32.4", True, before)
    first = step_objects(ApplyPools(("a",), "v1.32.4", final=False), desired, live, "demo", cp, new)
    assert image(first) == image(old)
    moved = Live("v1.32.4", "v1.32.4", True, {"a": PoolLive("v1.32.4", True), "b": PoolLive("v1.31.4", True)})
    last = step_objects(ApplyPools(("b",), "v1.32.4", final=True), desired, moved, "demo", first, new)
    assert image(last) == image(new)
