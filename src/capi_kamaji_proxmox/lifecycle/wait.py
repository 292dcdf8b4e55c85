"""``--wait``: follow a cluster until its control plane is ready and every pool has its ready replicas.

Reads both generations' status shapes: Cluster API v1beta2 conditions (``Available``,
``ControlPlaneAvailable``) and v1beta1 ones (``Ready``, ``ControlPlaneReady``); MachineDeployment
``readyReplicas`` against ``spec.replicas``.
"""

from __future__ import annotations

import time
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.errors import NotFound
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.lifecycle.objects import ref


def condition(obj: dict[str, Any], *types: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") in types:
            return dict(c)
    return None


def control_plane_ready(cluster: dict[str, Any], kcp: dict[str, Any] | None) -> bool:
    c = condition(cluster, "ControlPlaneAvailable", "ControlPlaneReady")
    if c is not None:
        return c.get("status") == "True"
    if (cluster.get("status") or {}).get("controlPlaneReady"):
        return True  # v1beta1's boolean
    status = (kcp or {}).get("status") or {}
    return bool(status.get("ready")) or bool((status.get("initialization") or {}).get("controlPlaneInitialized"))


def pool_progress(md: dict[str, Any]) -> tuple[int, int]:
    """(ready, desired) replicas of a MachineDeployment, in either generation's status."""
    desired = int((md.get("spec") or {}).get("replicas") or 0)
    status = md.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    return ready, desired


def wait_ready(ctx: ActionContext, name: str, objs: list[dict[str, Any]]) -> None:
    """Follow the release's objects until ready; a timeout raises (the action marks the revision failed)."""
    cluster_obj = next(o for o in objs if o["kind"] == "Cluster")
    kcp_obj = next((o for o in objs if o["kind"] == "KamajiControlPlane"), None)
    mds = [o for o in objs if o["kind"] == "MachineDeployment"]
    deadline = time.monotonic() + ctx.options.timeout
    tty = ctx.out.isatty()
    last_line = ""
    while True:
        try:
            cluster = kube.get(ctx.client, ref(cluster_obj, ctx.namespace))
            kcp = kube.get(ctx.client, ref(kcp_obj, ctx.namespace)) if kcp_obj else None
            live_mds = [kube.get(ctx.client, ref(md, ctx.namespace)) for md in mds]
        except NotFound as exc:
            raise LifecycleError(f"waiting for {name!r}: an object of the release is gone: {exc}") from None
        cp = control_plane_ready(cluster, kcp)
        pools = [(md["metadata"]["name"], *pool_progress(md)) for md in live_mds]
        done = cp and all(r >= d for _, r, d in pools)
        line = f"control plane {'ready' if cp else 'not ready'}; " + ", ".join(f"{n} {r}/{d}" for n, r, d in pools)
        if line != last_line:
            ctx.out.write(("\r\033[K" if tty else "") + line + ("" if tty else "\n"))
            last_line = line
        if done:
            if tty:
                ctx.out.write("\n")
            return
        if time.monotonic() >= deadline:
            if tty:
                ctx.out.write("\n")
            raise LifecycleError(f"timed out after {ctx.options.timeout:g}s waiting for {name!r} to be ready: {line}")
        time.sleep(2.0)
