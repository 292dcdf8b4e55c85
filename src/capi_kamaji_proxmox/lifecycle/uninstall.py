"""``uninstall``: an ordered list of phases, each deleting part of the release and waiting as it needs.

The Cluster goes first and must be gone (Cluster API removes machines, VMs, control plane and
infrastructure) before the rest is deleted. A timeout stops with what blocks; running the command
again resumes (the record says ``uninstalling``). To delete something earlier (e.g. an autoscaler
before the Cluster), insert a phase into :data:`PHASES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.discovery import APINotServed
from capi_kamaji_proxmox.kube.errors import ApiError, NotFound
from capi_kamaji_proxmox.lifecycle.apply_plan import delete_all
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.lifecycle.guard import refuse_busy, refuse_foreign, take_over
from capi_kamaji_proxmox.lifecycle.objects import ref
from capi_kamaji_proxmox.lifecycle.plan import previous_objects
from capi_kamaji_proxmox.release.record import Release, Status


@dataclass
class Uninstall:
    """What the phases share: the release, every object it owns, and the deadline."""

    ctx: ActionContext
    name: str
    objs: list[dict[str, Any]]
    deadline: float

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [o for o in self.objs if o["kind"] in kinds]


def _blockers(ctx: ActionContext, cluster_objs: list[dict[str, Any]], objs: list[dict[str, Any]]) -> list[str]:
    """What still holds the cluster: machines left, objects with finalizers and failing conditions."""
    from capi_kamaji_proxmox.render.context import CLUSTER_NAME_LABEL

    lines: list[str] = []
    for c in cluster_objs:
        try:
            machines = kube.list_objects(
                ctx.client,
                c["apiVersion"],
                "Machine",
                namespace=ctx.namespace,
                label_selector={CLUSTER_NAME_LABEL: c["metadata"]["name"]},
            )
        except (ApiError, APINotServed):  # the report is best effort; the wait goes on regardless
            machines = []
        if machines:
            lines.append(
                f"{len(machines)} Machine(s) of cluster {c['metadata']['name']} remain: "
                + ", ".join(m["metadata"]["name"] for m in machines[:10])
            )
    for obj in objs:
        try:
            live = kube.get(ctx.client, ref(obj, ctx.namespace))
        except (NotFound, ApiError):
            continue
        fins = live["metadata"].get("finalizers") or []
        if fins:
            failing = [
                f"{c.get('type')}={c.get('status')}" + (f" ({c['message']})" if c.get("message") else "")
                for c in (live.get("status") or {}).get("conditions") or []
                if c.get("status") != "True"
            ]
            extra = f"; failing conditions: {', '.join(failing)}" if failing else ""
            lines.append(f"{obj['kind']} {obj['metadata']['name']} is held by finalizers {', '.join(fins)}{extra}")
    return lines


def _gone(ctx: ActionContext, obj: dict[str, Any]) -> bool:
    try:
        kube.get(ctx.client, ref(obj, ctx.namespace))
    except NotFound:
        return True
    return False


def delete_clusters(u: Uninstall) -> None:
    """Delete the Cluster and wait until Cluster API has removed it and everything it holds."""
    ctx, clusters = u.ctx, u.of_kind("Cluster")
    delete_all(ctx, clusters)
    reported: list[str] = []
    while not all(_gone(ctx, c) for c in clusters):
        blockers = _blockers(ctx, clusters, u.objs)
        if blockers != reported:
            for line in blockers:
                ctx.out.step(f"waiting: {line}")
            reported = blockers
        if time.monotonic() >= u.deadline:
            raise LifecycleError(
                f"timed out after {ctx.options.timeout:g}s waiting for the Cluster to be deleted; nothing else was "
                "deleted. Still blocking:\n  "
                + "\n  ".join(blockers or ["the Cluster object itself"])
                + f"\nRun `capi-kamaji-proxmox uninstall {u.name} -n {ctx.namespace}` again to resume."
            )
        time.sleep(1.0)


def delete_rest(u: Uninstall) -> None:
    """Everything else, in reverse dependency order."""
    delete_all(u.ctx, [o for o in u.objs if o["kind"] != "Cluster"])


# (what the phase does, for the dry run; the phase). Order matters.
PHASES: list[tuple[str, Callable[[Uninstall], None], tuple[str, ...] | None]] = [
    ("delete the Cluster and wait until it is gone", delete_clusters, ("Cluster",)),
    ("delete the rest", delete_rest, None),
]


def uninstall(ctx: ActionContext, name: str) -> Release | None:
    hist = ctx.storage.history(name)
    if not hist or hist[-1].status is Status.UNINSTALLED:
        raise LifecycleError(f"release {name!r} not found in namespace {ctx.namespace!r}")
    refuse_foreign(hist, "uninstall")
    stale = refuse_busy(hist, "uninstall")
    last = hist[-1]
    deployed = [r for r in hist if r.status is Status.DEPLOYED]
    objs = previous_objects([last, deployed[-1] if deployed else None])
    u = Uninstall(ctx=ctx, name=name, objs=objs, deadline=time.monotonic() + ctx.options.timeout)
    if ctx.options.dry_run:
        for what, _, kinds in PHASES:
            chosen = u.of_kind(*kinds) if kinds else [o for o in objs if o["kind"] != "Cluster"][::-1]
            names = ", ".join(f"{o['kind']} {o['metadata']['name']}" for o in chosen) or "nothing"
            ctx.out.step(f"dry run: would {what}: {names}")
        return last
    if stale is not None:
        last = take_over(ctx.storage, stale, "uninstall", ctx.out.step)
    if last.status is not Status.UNINSTALLING:
        last.info.status = Status.UNINSTALLING
        last.info.description = "Deletion in progress (waiting for the Cluster to be deleted)"
        last = ctx.storage.update(last)
    for _, phase, _ in PHASES:
        phase(u)
    if ctx.options.keep_history:
        last.info.status = Status.UNINSTALLED
        last.info.description = "Uninstallation complete"
        return ctx.storage.update(last)
    ctx.storage.delete_all(name)
    return None
