"""Drive a change of cluster.version through :func:`version_steps.next_action`.

Each applying step is its own release revision (history and rollback show every step). Waits poll
the server until the step function moves on; ``--timeout`` bounds each wait and names the step.
A wait never holds a pending record: the step before it is already recorded as deployed, so a
timeout, Ctrl-C or crash leaves a release the next ``upgrade`` with the same values continues.
"""

from __future__ import annotations

import time
from typing import Any

from capi_kamaji_proxmox.lifecycle import actions, records
from capi_kamaji_proxmox.lifecycle.apply_plan import dry_run_all
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError, RefusedChange
from capi_kamaji_proxmox.lifecycle.execute import run_plan
from capi_kamaji_proxmox.lifecycle.guard import refuse_busy
from capi_kamaji_proxmox.lifecycle.plan import Plan, build_plan, previous_objects, split_removed
from capi_kamaji_proxmox.lifecycle.version_state import LiveObjects, desired_of, read_live, step_objects
from capi_kamaji_proxmox.lifecycle.version_steps import (
    Action,
    ApplyControlPlane,
    ApplyPools,
    Desired,
    Done,
    Live,
    Refuse,
    Step,
    WaitControlPlane,
    WaitPools,
    next_action,
    remaining_steps,
)
from capi_kamaji_proxmox.observe.rollout import md_progress, old_machinesets
from capi_kamaji_proxmox.release.record import Release, Status, split_manifest
from capi_kamaji_proxmox.values.checks import duration_seconds
from capi_kamaji_proxmox.values.load import LoadedValues

POLL_SECONDS = 1.0


def _cluster_of(objs: list[dict[str, Any]], name: str) -> str:
    return next((o["metadata"]["name"] for o in objs if o["kind"] == "Cluster"), name)


def situation(
    ctx: ActionContext, name: str, loaded: LoadedValues, last: Release | None = None
) -> tuple[Release, Desired, Live, LiveObjects, Action]:
    """The release's last record, what is wanted, what is live, and the next action."""
    last = last or ctx.storage.last(name)
    objs = previous_objects([last])
    cluster = _cluster_of(objs, name)
    desired = desired_of(loaded, list(ctx.options.via))
    live, objects = read_live(ctx, cluster, objs)
    return last, desired, live, objects, next_action(desired, live, ctx.options.command)


def _recorded_at(objs: list[dict[str, Any]], version: str) -> bool:
    """Whether the control plane and every pool of a revision's manifest ask for ``version``."""
    asked = [(o.get("spec") or {}).get("version") for o in objs if o["kind"] == "KamajiControlPlane"]
    asked += [
        ((((o.get("spec") or {}).get("template") or {}).get("spec")) or {}).get("version")
        for o in objs
        if o["kind"] == "MachineDeployment"
    ]
    return bool(asked) and all(isinstance(v, str) and v.lstrip("v") == version.lstrip("v") for v in asked)


def needs_steps(ctx: ActionContext, name: str, loaded: LoadedValues, hist: list[Release]) -> bool:
    """True when the upgrade changes a Kubernetes version (or pools lag behind the control plane).
    ``hist`` is the history the caller already read (the records are listed once per operation)."""
    if not hist or hist[-1].status is Status.UNINSTALLED:
        return False
    if _recorded_at(previous_objects([hist[-1]]), desired_of(loaded, list(ctx.options.via)).version):
        return False  # the last revision already asks for this version everywhere: no live reads needed
    action = situation(ctx, name, loaded, hist[-1])[4]
    if isinstance(action, Refuse):
        raise RefusedChange(action.message)
    return not isinstance(action, Done)


def _wait_detail(action: Action, live: Live, objects: LiveObjects) -> str:
    if isinstance(action, WaitControlPlane):
        return (
            f"the KamajiControlPlane reports version {live.cp_reported or '(none)'}, "
            f"{'ready' if live.cp_ready else 'not ready'}"
        )
    assert isinstance(action, WaitPools)
    parts = []
    for p in action.pools:
        md = objects.mds.get(p)
        if md is None:
            continue
        old = len(old_machinesets(md, objects.machinesets))
        parts.append(f"pool {p}: {md_progress(md)}" + (f", {old} old MachineSet(s) with machines" if old else ""))
    return "; ".join(parts)


def _apply_step(
    ctx: ActionContext, name: str, loaded: LoadedValues, step: Step, desired: Desired, live: Live
) -> Release:
    """Write one step as one revision, through the upgrade action's own machinery: dry run of every
    object, take-over of a dead holder's pending revision, pending record with its holder, apply,
    record (deployed, or failed with the reason)."""
    hist = ctx.storage.history(name)
    stale = refuse_busy(hist, "upgrade")
    last = hist[-1]
    previous = previous_objects([last])
    plan = build_plan(ctx, name, loaded, previous=[last])
    objs = step_objects(step, desired, live, plan.cluster, previous, plan.desired)
    retained, deletions = split_removed(ctx, plan.apis, plan.cluster, objs, previous)
    step_plan = Plan(
        release=name,
        namespace=ctx.namespace,
        cluster=plan.cluster,
        kubernetes_version=step.version if isinstance(step, ApplyControlPlane) else live.cp_version,
        apis=plan.apis,
        desired=objs,
        retained=retained,
        deletions=deletions,
    )
    description = f"Upgrade step: {step.describe()}"
    adopting = not records.written_by_tool(last)
    dry_run_all(ctx, objs, force=adopting)
    first = hist[0].info.first_deployed
    args = (ctx, name, last.version + 1, Status.PENDING_UPGRADE, loaded.config, step_plan)
    if ctx.options.dry_run:
        return actions._record(*args, f"Dry run: {description}", first, "upgrade")
    ctx.out.step(f"upgrade step: {step.describe()}")
    hist = actions._claim(ctx, hist, stale, "upgrade")
    pending = actions._record(*args, description, first, "upgrade")
    return run_plan(
        actions._without_wait(ctx), hist, pending, step_plan, verb="upgrade", force=adopting, done=description
    )


def upgrade_in_steps(ctx: ActionContext, name: str, loaded: LoadedValues) -> Release:
    """Apply and wait, step after step, until the step function says done."""
    strategy = loaded.values.upgrade_strategy
    pause = duration_seconds(strategy.pause) if strategy and strategy.pause is not None else 0
    rec: Release | None = None
    waited_for_pools = False
    while True:
        last, desired, live, _, action = situation(ctx, name, loaded)
        if isinstance(action, Refuse):
            raise RefusedChange(action.message)
        if isinstance(action, Done):
            if ctx.options.wait and rec is not None:
                from capi_kamaji_proxmox.lifecycle.wait import wait_ready

                wait_ready(ctx, name, split_manifest(rec.manifest))
            return rec or last
        if isinstance(action, ApplyControlPlane | ApplyPools):
            if isinstance(action, ApplyPools) and waited_for_pools and pause and desired.strategy != "parallel":
                ctx.out.step(f"pausing {pause}s before the next pool (upgradeStrategy.pause)")
                time.sleep(pause)
            waited_for_pools = False
            rec = _apply_step(ctx, name, loaded, action, desired, live)
            if ctx.options.dry_run:
                return rec
            continue
        if ctx.options.dry_run:
            ctx.out.step(f"dry run: the next step waits: {action.describe()}")
            return last
        _wait(ctx, name, loaded, action, last)
        waited_for_pools = isinstance(action, WaitPools)


def _wait(ctx: ActionContext, name: str, loaded: LoadedValues, action: Action, last: Release) -> None:
    """Poll until the next action is another one; on timeout say which step and how to go on."""
    ctx.out.step(f"{action.describe()} ...")
    deadline = time.monotonic() + ctx.options.timeout
    while True:
        time.sleep(POLL_SECONDS)
        _, _, live, objects, now = situation(ctx, name, loaded)
        if now != action:
            return
        if time.monotonic() >= deadline:
            raise LifecycleError(
                f"timed out after {ctx.options.timeout:g}s at step '{action.describe()}': "
                f"{_wait_detail(action, live, objects)}. Revision {last.version} is deployed and nothing is "
                f"half-applied; run the same upgrade again to continue from this step"
                + (f": {ctx.options.command}" if ctx.options.command else "")
            )


def describe_remaining(ctx: ActionContext, name: str, loaded: LoadedValues) -> tuple[list[Step], Live, LiveObjects]:
    """For ``diff``: every step still to come (the waits assumed satisfied)."""
    _, desired, live, objects, _ = situation(ctx, name, loaded)
    steps = remaining_steps(desired, live, ctx.options.command)
    if isinstance(steps, Refuse):
        raise RefusedChange(steps.message)
    return steps, live, objects
