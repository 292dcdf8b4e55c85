"""The verbs that change a release: install, upgrade, rollback (uninstall in :mod:`.uninstall`),
like Helm's pkg/action.

Each verb is the same composable sequence, whoever calls it (CLI, Python API, a controller):
read the history once -> refuse what is not ours or is held by a live operation -> resolve the
values -> plan -> preflight -> server-side dry run of every object -> (take over a dead holder's
pending revision) -> pending record -> apply -> record (:func:`.execute.run_plan`). Nothing is
written before the dry run has passed for every object.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from capi_kamaji_proxmox.lifecycle import records
from capi_kamaji_proxmox.lifecycle.apply_plan import dry_run_all
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.lifecycle.execute import run_plan
from capi_kamaji_proxmox.lifecycle.guard import refuse_busy, refuse_foreign, refuse_minor_skip, take_over
from capi_kamaji_proxmox.lifecycle.inputs import UserValues
from capi_kamaji_proxmox.lifecycle.plan import Plan, build_plan, previous_objects, split_removed
from capi_kamaji_proxmox.lifecycle.preflight_step import preflight
from capi_kamaji_proxmox.lifecycle.uninstall import uninstall
from capi_kamaji_proxmox.release.record import Release, Status, split_manifest
from capi_kamaji_proxmox.release.storage import ReleaseNotFound
from capi_kamaji_proxmox.values.load import LoadedValues, validate_config

__all__ = ["install", "latest_deployed", "load_values", "rollback", "uninstall", "upgrade"]

Values = LoadedValues | UserValues


def load_values(ctx: ActionContext, name: str, values: Values, last: Release | None) -> LoadedValues:
    """Validated values: given as such, or resolved from the user's layers against the last revision."""
    if isinstance(values, LoadedValues):
        return values
    loaded = validate_config(values.config(last), release_name=name)
    for w in loaded.warnings:
        ctx.out.warn(w)
    return loaded


def _record(
    ctx: ActionContext,
    name: str,
    revision: int,
    status: Status,
    config: dict[str, Any],
    plan: Plan,
    description: str,
    first: Any = None,
    verb: str = "install",
) -> Release:
    return records.new_record(
        name=name,
        namespace=ctx.namespace,
        revision=revision,
        status=status,
        config=config,
        objs=plan.manifest,
        cluster=plan.cluster,
        kubernetes_version=plan.kubernetes_version,
        description=description,
        first_deployed=first,
        verb=verb,
    )


def latest_deployed(hist: list[Release]) -> Release | None:
    deployed = [r for r in hist if r.status is Status.DEPLOYED]
    return deployed[-1] if deployed else None


def _version_of(rec: Release | None) -> str | None:
    if rec is None:
        return None
    try:
        loaded = validate_config(rec.config, release_name=rec.name)
    except Exception:
        return None
    return loaded.values.cluster.version if loaded.values.cluster else None


def _without_wait(ctx: ActionContext) -> ActionContext:
    """--atomic's undo restores what was there; it does not wait for readiness (which just failed)."""
    return dataclasses.replace(ctx, options=dataclasses.replace(ctx.options, wait=False))


def _claim(ctx: ActionContext, hist: list[Release], stale: Release | None, verb: str) -> list[Release]:
    """Take over a dead holder's pending revision (the first write of the operation)."""
    if stale is None:
        return hist
    return [*hist[:-1], take_over(ctx.storage, stale, verb, ctx.out.step)]


# --------------------------------------------------------------------------- install


def install(ctx: ActionContext, name: str, values: Values) -> Release:
    hist = ctx.storage.history(name)
    refuse_foreign(hist, "install")
    return _install(ctx, name, values, hist)


def _install(ctx: ActionContext, name: str, values: Values, hist: list[Release]) -> Release:
    stale = refuse_busy(hist, "install")
    last = hist[-1] if hist else None
    # A release that never deployed (a failed or interrupted install) is installed again in place.
    if latest_deployed(hist) is not None or (
        last is not None and stale is None and last.status not in (Status.UNINSTALLED, Status.FAILED)
    ):
        assert last is not None
        raise LifecycleError(
            f"cannot install release {name!r}: it already exists in namespace {ctx.namespace!r} (revision "
            f"{last.version}, {last.status.value}); use `upgrade` to change it"
        )
    loaded = load_values(ctx, name, values, None)
    previous: list[Release | None] = [last] if last is not None and last.status is not Status.UNINSTALLED else []
    plan = build_plan(ctx, name, loaded, previous=previous)
    preflight(ctx, name, loaded)
    dry_run_all(ctx, plan.desired)
    revision = last.version + 1 if last else 1
    if ctx.options.dry_run:
        return _record(ctx, name, revision, Status.PENDING_INSTALL, loaded.config, plan, "Dry run complete")
    hist = _claim(ctx, hist, stale, "install")
    pending = _record(ctx, name, revision, Status.PENDING_INSTALL, loaded.config, plan, "Initial install underway")
    try:
        return run_plan(ctx, hist, pending, plan, verb="install", force=False, done="Install complete")
    except LifecycleError:
        if ctx.options.atomic:
            ctx.out.step("--atomic: removing what the failed install created")
            uninstall(_without_wait(ctx), name)
        raise


# --------------------------------------------------------------------------- upgrade


def upgrade(ctx: ActionContext, name: str, values: Values, *, install_missing: bool = False) -> Release:
    """plan -> preflight -> dry run -> apply -> record; a dead holder's pending revision is taken over."""
    hist = ctx.storage.history(name)
    refuse_foreign(hist, "upgrade")
    if not hist or hist[-1].status is Status.UNINSTALLED:
        if install_missing:
            return _install(ctx, name, values, hist)
        raise LifecycleError(
            f"release {name!r} not found in namespace {ctx.namespace!r}; use `install` (or `upgrade --install`)"
        )
    stale = refuse_busy(hist, "upgrade")
    last = hist[-1]
    deployed = latest_deployed(hist)
    loaded = load_values(ctx, name, values, last)
    refuse_minor_skip(_version_of(deployed), loaded.values.cluster.version if loaded.values.cluster else None)
    plan = build_plan(ctx, name, loaded, previous=[last, deployed])
    preflight(ctx, name, loaded)
    # A release the Clastix chart wrote: take over the fields helm's client-side apply owns.
    adopting = not records.written_by_tool(last)
    dry_run_all(ctx, plan.desired, force=adopting)
    revision = last.version + 1
    first = hist[0].info.first_deployed
    if ctx.options.dry_run:
        return _record(
            ctx, name, revision, Status.PENDING_UPGRADE, loaded.config, plan, "Dry run complete", first, "upgrade"
        )
    hist = _claim(ctx, hist, stale, "upgrade")
    pending = _record(
        ctx, name, revision, Status.PENDING_UPGRADE, loaded.config, plan, "Upgrade underway", first, "upgrade"
    )
    if plan.renames:
        ctx.out.step("reusing live templates with identical spec: " + ", ".join(sorted(plan.renames.values())))
    for obj in plan.retained:
        ctx.out.step(f"keeping {obj['kind']} {obj['metadata']['name']}: still used by machines of the cluster")
    try:
        return run_plan(ctx, hist, pending, plan, verb="upgrade", force=adopting, done="Upgrade complete")
    except LifecycleError:
        if ctx.options.atomic and deployed is not None:
            ctx.out.step(f"--atomic: rolling back to revision {deployed.version}")
            rollback(_without_wait(ctx), name, deployed.version)
        raise


# --------------------------------------------------------------------------- rollback


def _rollback_target(ctx: ActionContext, hist: list[Release], revision: int | None) -> Release:
    last = hist[-1]
    name = last.name
    target_rev = revision or max(
        (r.version for r in hist if r.version < last.version and r.status in (Status.DEPLOYED, Status.SUPERSEDED)),
        default=0,
    )
    if not target_rev:
        never = not any(r.status in (Status.DEPLOYED, Status.SUPERSEDED) for r in hist)
        hint = (
            f"; it never completed an install: run `capi-kamaji-proxmox install {name} -n {ctx.namespace}` again "
            f"(it converges from what was applied) or `capi-kamaji-proxmox uninstall {name} -n {ctx.namespace}`"
            if never
            else ""
        )
        raise LifecycleError(f"release {name!r} has no earlier revision to roll back to{hint}")
    try:
        return ctx.storage.get(name, target_rev)
    except ReleaseNotFound:
        raise LifecycleError(f"release {name!r} has no revision {target_rev}") from None


def rollback(ctx: ActionContext, name: str, revision: int | None = None) -> Release:
    """Re-apply an earlier revision's objects as a new revision; ``--dry-run`` writes nothing."""
    hist = ctx.storage.history(name)
    if not hist:
        raise LifecycleError(f"release {name!r} not found in namespace {ctx.namespace!r}")
    refuse_foreign(hist, "rollback")
    stale = refuse_busy(hist, "rollback")
    last = hist[-1]
    target = _rollback_target(ctx, hist, revision)
    objs = split_manifest(target.manifest)
    cluster = next((o["metadata"]["name"] for o in objs if o["kind"] == "Cluster"), name)
    apis = ctx.served_apis(["Cluster", "MachineDeployment", "ProxmoxMachineTemplate", "KubeadmConfigTemplate"])
    retained, deletions = split_removed(ctx, apis, cluster, objs, previous_objects([last, latest_deployed(hist)]))
    plan = Plan(
        release=name,
        namespace=ctx.namespace,
        cluster=cluster,
        kubernetes_version=_version_of(target) or "",
        apis=apis,
        desired=objs,
        retained=retained,
        deletions=deletions,
    )
    dry_run_all(ctx, plan.desired, force=True)
    description = f"Rollback to {target.version}"
    args = (ctx, name, last.version + 1, Status.PENDING_ROLLBACK, target.config, plan)
    if ctx.options.dry_run:
        gone = ", ".join(f"{o['kind']} {o['metadata']['name']}" for o in plan.deletions) or "nothing"
        ctx.out.step(f"dry run: would apply {len(plan.desired)} object(s) of revision {target.version}, delete {gone}")
        return _record(*args, "Dry run complete", hist[0].info.first_deployed, "rollback")
    hist = _claim(ctx, hist, stale, "rollback")
    pending = _record(*args, description, hist[0].info.first_deployed, "rollback")
    return run_plan(ctx, hist, pending, plan, verb="rollback", force=True, done=description)
