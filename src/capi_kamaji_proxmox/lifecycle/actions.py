"""The verbs that change a release: install, upgrade, rollback, uninstall (like Helm's pkg/action).

Every verb first writes a pending record (atomically: a second concurrent operation loses on
the revision's name), then applies, then records the outcome. A failure leaves a ``failed``
record with the reason; re-running the verb converges.
"""

from __future__ import annotations

import time
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.discovery import APINotServed
from capi_kamaji_proxmox.kube.errors import ApiError, NotFound
from capi_kamaji_proxmox.lifecycle import records
from capi_kamaji_proxmox.lifecycle.apply_plan import apply_all, delete_all
from capi_kamaji_proxmox.lifecycle.autoscaler_stop import stop_autoscaler
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError, ReleaseBusy
from capi_kamaji_proxmox.lifecycle.guard import refuse_if_busy, refuse_minor_skip
from capi_kamaji_proxmox.lifecycle.objects import ref
from capi_kamaji_proxmox.lifecycle.plan import Plan, build_plan, previous_objects, split_removed
from capi_kamaji_proxmox.release.record import Release, Status, split_manifest
from capi_kamaji_proxmox.release.storage import ReleaseExists, ReleaseNotFound
from capi_kamaji_proxmox.values.load import LoadedValues, validate_config


def _create_pending(ctx: ActionContext, rec: Release, verb: str) -> Release:
    try:
        return ctx.storage.create(rec)
    except ReleaseExists:
        raise ReleaseBusy(
            f"cannot {verb} release {rec.name!r}: another operation created revision {rec.version} first; "
            "run the command again once it has finished"
        ) from None


def _finish(ctx: ActionContext, rec: Release, status: Status, description: str) -> Release:
    rec.info.status = status
    rec.info.description = description
    return ctx.storage.update(rec)


def _supersede_others(ctx: ActionContext, name: str, keep: int) -> None:
    for old in ctx.storage.deployed_all(name):
        if old.version != keep:
            _finish(ctx, old, Status.SUPERSEDED, old.info.description)


def _record(
    ctx: ActionContext,
    name: str,
    revision: int,
    status: Status,
    config: dict[str, Any],
    plan: Plan,
    description: str,
    first: Any = None,
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
    )


def _run(ctx: ActionContext, rec: Release, plan: Plan, *, force: bool, verb: str) -> Release:
    """Apply a plan under a pending record; record failure (with the reason) or success."""
    try:
        apply_all(ctx, plan.desired, force=force)
        delete_all(ctx, plan.deletions)
    except (LifecycleError, ApiError) as exc:
        _finish(ctx, rec, Status.FAILED, f"{verb} failed: {exc}")
        raise LifecycleError(
            f"{verb} of release {rec.name!r} failed (revision {rec.version} marked failed): {exc}"
        ) from None
    return rec


# --------------------------------------------------------------------------- install


def install(ctx: ActionContext, name: str, loaded: LoadedValues) -> Release:
    hist = ctx.storage.history(name)
    if hist:
        last = hist[-1]
        refuse_if_busy(last, "install")
        if last.status is not Status.UNINSTALLED:
            raise LifecycleError(
                f"cannot install release {name!r}: it already exists in namespace {ctx.namespace!r} (revision "
                f"{last.version}, {last.status.value}); use `upgrade` to change it"
            )
    revision = hist[-1].version + 1 if hist else 1
    plan = build_plan(ctx, name, loaded, previous=[])
    if ctx.options.dry_run:
        apply_all(ctx, plan.desired, dry_run=True)
        return _record(ctx, name, revision, Status.PENDING_INSTALL, loaded.config, plan, "Dry run complete")
    rec = _create_pending(
        ctx,
        _record(ctx, name, revision, Status.PENDING_INSTALL, loaded.config, plan, "Initial install underway"),
        "install",
    )
    try:
        _run(ctx, rec, plan, force=False, verb="install")
    except LifecycleError:
        if ctx.options.atomic:
            ctx.out.step("--atomic: removing what the failed install created")
            uninstall(ctx, name)
        raise
    rec = _finish(ctx, rec, Status.DEPLOYED, "Install complete")
    ctx.storage.prune(name, ctx.options.history_max)
    return rec


# --------------------------------------------------------------------------- upgrade


def _latest_deployed(hist: list[Release]) -> Release | None:
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


def upgrade(ctx: ActionContext, name: str, loaded: LoadedValues, *, install_missing: bool = False) -> Release:
    hist = ctx.storage.history(name)
    if not hist or hist[-1].status is Status.UNINSTALLED:
        if install_missing:
            return install(ctx, name, loaded)
        raise LifecycleError(
            f"release {name!r} not found in namespace {ctx.namespace!r}; use `install` (or `upgrade --install`)"
        )
    last = hist[-1]
    refuse_if_busy(last, "upgrade")
    deployed = _latest_deployed(hist)
    refuse_minor_skip(_version_of(deployed), loaded.values.cluster.version if loaded.values.cluster else None)
    plan = build_plan(ctx, name, loaded, previous=[last, deployed], impacts=True)
    # A release the Clastix chart wrote: take over the fields helm's client-side apply owns.
    adopting = not records.written_by_tool(last)
    revision = last.version + 1
    if ctx.options.dry_run:
        apply_all(ctx, plan.desired, dry_run=True, force=adopting)
        return _record(ctx, name, revision, Status.PENDING_UPGRADE, loaded.config, plan, "Dry run complete")
    first = hist[0].info.first_deployed
    rec = _create_pending(
        ctx,
        _record(ctx, name, revision, Status.PENDING_UPGRADE, loaded.config, plan, "Upgrade underway", first),
        "upgrade",
    )
    if plan.renames:
        ctx.out.step("reusing live templates with identical spec: " + ", ".join(sorted(plan.renames.values())))
    for obj in plan.retained:
        ctx.out.step(f"keeping {obj['kind']} {obj['metadata']['name']}: still used by machines of the cluster")
    try:
        _run(ctx, rec, plan, force=adopting, verb="upgrade")
    except LifecycleError:
        if ctx.options.atomic and deployed is not None:
            ctx.out.step(f"--atomic: rolling back to revision {deployed.version}")
            rollback(ctx, name, deployed.version)
        raise
    _supersede_others(ctx, name, rec.version)
    rec = _finish(ctx, rec, Status.DEPLOYED, "Upgrade complete")
    ctx.storage.prune(name, ctx.options.history_max)
    return rec


# --------------------------------------------------------------------------- rollback


def rollback(ctx: ActionContext, name: str, revision: int | None = None) -> Release:
    hist = ctx.storage.history(name)
    if not hist:
        raise LifecycleError(f"release {name!r} not found in namespace {ctx.namespace!r}")
    last = hist[-1]
    if last.status is Status.UNINSTALLING:
        refuse_if_busy(last, "rollback")
    if last.status.is_pending:
        # The recovery path for an interrupted operation: that revision did not complete.
        _finish(ctx, last, Status.FAILED, f"{last.info.description} (interrupted; recovered by rollback)")
    target_rev = revision or max(
        (r.version for r in hist if r.version < last.version and r.status in (Status.DEPLOYED, Status.SUPERSEDED)),
        default=0,
    )
    if not target_rev:
        raise LifecycleError(f"release {name!r} has no earlier revision to roll back to")
    try:
        target = ctx.storage.get(name, target_rev)
    except ReleaseNotFound:
        raise LifecycleError(f"release {name!r} has no revision {target_rev}") from None
    objs = split_manifest(target.manifest)
    cluster = next((o["metadata"]["name"] for o in objs if o["kind"] == "Cluster"), name)
    version = _version_of(target) or ""
    apis = ctx.served_apis(["Cluster", "MachineDeployment", "ProxmoxMachineTemplate", "KubeadmConfigTemplate"])
    deployed = _latest_deployed(hist)
    retained, deletions = split_removed(ctx, apis, cluster, objs, previous_objects([last, deployed]))
    plan = Plan(
        release=name,
        namespace=ctx.namespace,
        cluster=cluster,
        kubernetes_version=version,
        apis=apis,
        desired=objs,
        retained=retained,
        deletions=deletions,
    )
    rec = _create_pending(
        ctx,
        _record(
            ctx,
            name,
            last.version + 1,
            Status.PENDING_ROLLBACK,
            target.config,
            plan,
            f"Rollback to {target_rev}",
            hist[0].info.first_deployed,
        ),
        "rollback",
    )
    _run(ctx, rec, plan, force=True, verb="rollback")
    _supersede_others(ctx, name, rec.version)
    rec = _finish(ctx, rec, Status.DEPLOYED, f"Rollback to {target_rev}")
    ctx.storage.prune(name, ctx.options.history_max)
    return rec


# --------------------------------------------------------------------------- uninstall


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


def uninstall(ctx: ActionContext, name: str) -> Release | None:
    """Delete the Cluster first and wait until it is gone (Cluster API removes machines, VMs, control
    plane and infrastructure); only then the rest. A timeout stops with what blocks; re-run resumes."""
    hist = ctx.storage.history(name)
    if not hist or hist[-1].status is Status.UNINSTALLED:
        raise LifecycleError(f"release {name!r} not found in namespace {ctx.namespace!r}")
    last = hist[-1]
    refuse_if_busy(last, "uninstall")
    objs = previous_objects([last, _latest_deployed(hist)])
    clusters = [o for o in objs if o["kind"] == "Cluster"]
    rest = [o for o in objs if o["kind"] != "Cluster"]
    if ctx.options.dry_run:
        ctx.out.step(
            "dry run: would delete " + ", ".join(f"{o['kind']} {o['metadata']['name']}" for o in clusters + rest[::-1])
        )
        return last
    if last.status is not Status.UNINSTALLING:
        last = _finish(ctx, last, Status.UNINSTALLING, "Deletion in progress (waiting for the Cluster to be deleted)")
    stop_autoscaler(ctx, name, objs)  # it must not fight the deletion
    delete_all(ctx, clusters)
    deadline = time.monotonic() + ctx.options.timeout
    reported: list[str] = []
    while not all(_gone(ctx, c) for c in clusters):
        blockers = _blockers(ctx, clusters, objs)
        if blockers != reported:
            for line in blockers:
                ctx.out.step(f"waiting: {line}")
            reported = blockers
        if time.monotonic() >= deadline:
            raise LifecycleError(
                f"timed out after {ctx.options.timeout:g}s waiting for the Cluster to be deleted; nothing else was "
                "deleted. Still blocking:\n  "
                + "\n  ".join(blockers or ["the Cluster object itself"])
                + f"\nRun `capi-kamaji-proxmox uninstall {name} -n {ctx.namespace}` again to resume."
            )
        time.sleep(1.0)
    delete_all(ctx, rest)
    if ctx.options.keep_history:
        return _finish(ctx, last, Status.UNINSTALLED, "Uninstallation complete")
    ctx.storage.delete_all(name)
    return None
