"""What ``diff`` says about a version upgrade: the steps still to come and the machines each replaces."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.inputs import UserValues
from capi_kamaji_proxmox.lifecycle.version_steps import ApplyControlPlane, Step
from capi_kamaji_proxmox.observe import fields
from capi_kamaji_proxmox.release.record import Status
from capi_kamaji_proxmox.values.load import validate_config


def machines_of(mds: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Machines per pool now (status.replicas, else spec.replicas)."""
    out = {}
    for pool, md in mds.items():
        r = fields.replicas(md)
        out[pool] = r["current"] if r["current"] is not None else (r["desired"] or 0)
    return out


def step_data(steps: list[Step], machines: dict[str, int]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = []
    for i, step in enumerate(steps, 1):
        item: dict[str, Any] = {"step": i, "what": step.describe(), "version": step.version}
        if isinstance(step, ApplyControlPlane):
            item["replaces"] = {}
        else:
            item["replaces"] = {p: machines.get(p, 0) for p in step.pools}
        data.append(item)
    return data


def step_text(data: list[dict[str, Any]]) -> str:
    """The steps as ``diff`` prints them before the per-object changes."""
    if not data:
        return ""
    lines = ["Kubernetes version upgrade, one revision per step (waits between them):"]
    for item in data:
        replaces = item["replaces"]
        if not replaces:
            tail = "no machine is replaced (the hosted control plane rolls its pods)"
        else:
            tail = "replaces " + ", ".join(f"{n} machine(s) of pool {p}" for p, n in replaces.items())
        lines.append(f"  {item['step']}. {item['what']}: {tail}")
    return "\n".join(lines) + "\n\n"


def remaining_step_data(ctx: ActionContext, name: str, values: UserValues) -> list[dict[str, Any]]:
    """The steps an ``upgrade`` with these values still has to make (empty: no version change)."""
    from capi_kamaji_proxmox.lifecycle.version_upgrade import describe_remaining

    hist = ctx.storage.history(name)
    if not hist or hist[-1].status is Status.UNINSTALLED:
        return []
    loaded = validate_config(values.config(hist[-1]), release_name=name)  # warned about by the diff already
    steps, _, objects = describe_remaining(ctx, name, loaded)
    return step_data(steps, machines_of(objects.mds))
