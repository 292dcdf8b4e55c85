"""Uninstall's first phase: stop the cluster's autoscaler before the Cluster is deleted.

A running autoscaler would keep patching the MachineDeployments' replicas while Cluster API tears
them down, so its Deployment goes first and the uninstall waits until its Pods are gone too (a
Deployment's Pods outlive it until the garbage collector removes them).
"""

from __future__ import annotations

import time
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.errors import ApiError
from capi_kamaji_proxmox.lifecycle.apply_plan import delete_all
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.render.autoscaler import NAME_LABEL

AUTOSCALER = "cluster-autoscaler"


def autoscaler_deployments(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The release's autoscaler Deployments (found in its manifests, by the label the render sets)."""
    return [
        o
        for o in objs
        if o["kind"] == "Deployment" and (o["metadata"].get("labels") or {}).get(NAME_LABEL) == AUTOSCALER
    ]


def _pods(ctx: ActionContext, deployment: dict[str, Any]) -> list[str]:
    selector = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not selector:
        return []
    pods = kube.list_objects(ctx.client, "v1", "Pod", namespace=ctx.namespace, label_selector=selector)
    return [p["metadata"]["name"] for p in pods]


def stop_autoscaler(ctx: ActionContext, release: str, objs: list[dict[str, Any]]) -> None:
    """Delete the autoscaler Deployment(s) and wait until no Pod of theirs is left."""
    deployments = autoscaler_deployments(objs)
    if not deployments:
        return
    delete_all(ctx, deployments)
    deadline = time.monotonic() + ctx.options.timeout
    reported: list[str] = []
    while True:
        try:
            left = [name for d in deployments for name in _pods(ctx, d)]
        except ApiError as exc:
            raise LifecycleError(f"cannot list the autoscaler's Pods: {exc}") from None
        if not left:
            return
        if left != reported:
            ctx.out.step(f"waiting: autoscaler Pod(s) still running: {', '.join(left)}")
            reported = left
        if time.monotonic() >= deadline:
            raise LifecycleError(
                f"timed out after {ctx.options.timeout:g}s waiting for the autoscaler's Pods to stop; the Cluster "
                f"was not deleted. Still running: {', '.join(left)}\n"
                f"Run `capi-kamaji-proxmox uninstall {release} -n {ctx.namespace}` again to resume."
            )
        time.sleep(1.0)
