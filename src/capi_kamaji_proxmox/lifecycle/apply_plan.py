"""Applying and deleting objects: one field manager, strict validation, dependency order."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.discovery import discovery
from capi_kamaji_proxmox.kube.errors import ApiError, ApplyConflict, Forbidden
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.lifecycle.objects import ref


def describe_error(obj: dict[str, Any], exc: ApiError) -> str:
    what = f"{obj['kind']} {obj['metadata']['name']}"
    if isinstance(exc, ApplyConflict):
        fields = ", ".join(f"{c.field} (owned by {c.manager!r})" for c in exc.conflicts) or str(exc)
        return (
            f"{what}: conflict with another field manager on {fields}; re-run with --force-conflicts to take them over"
        )
    if isinstance(exc, Forbidden):
        return f"{what}: forbidden: {exc}"
    return f"{what}: {exc}"


# Field managers of the same release: helm (client-side apply by `helm install/upgrade/rollback`)
# manages the same objects through the same records, so its fields are ours to take over.
RELEASE_MANAGERS = frozenset({"helm"})


def _apply_one(ctx: ActionContext, obj: dict[str, Any], *, force: bool, dry_run: bool) -> dict[str, Any]:
    try:
        return kube.apply(ctx.client, obj, force=force, dry_run=dry_run, namespace=ctx.namespace)
    except ApplyConflict as exc:
        if exc.managers and set(exc.managers) <= RELEASE_MANAGERS:
            return kube.apply(ctx.client, obj, force=True, dry_run=dry_run, namespace=ctx.namespace)
        raise


def apply_all(
    ctx: ActionContext,
    objs: list[dict[str, Any]],
    *,
    force: bool = False,
    dry_run: bool = False,
    before_write: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Server-side apply in order; the first failure stops with a message naming the object.
    ``before_write`` runs before each write (the hold's fencing check)."""
    out = []
    for obj in objs:
        if before_write is not None:
            before_write()
        try:
            out.append(_apply_one(ctx, obj, force=force or ctx.options.force_conflicts, dry_run=dry_run))
        except ApiError as exc:
            raise LifecycleError(describe_error(obj, exc)) from None
        if not dry_run:
            ctx.out.step(f"applied {obj['kind']} {obj['metadata']['name']}")
    return out


DRY_RUN_WORKERS = 8


def dry_run_all(ctx: ActionContext, objs: list[dict[str, Any]], *, force: bool = False) -> list[dict[str, Any]]:
    """Server-side dry run of every object, concurrently (one request each, no GET); the objects as
    the server would store them (defaults filled in). Any rejection stops before anything is
    written, naming every rejected object."""
    for api_version, kind in dict.fromkeys((o["apiVersion"], o["kind"]) for o in objs):
        discovery(ctx.client).resolve(api_version, kind)  # resolved once here, not racing in the pool
    force = force or ctx.options.force_conflicts

    def one(obj: dict[str, Any]) -> dict[str, Any] | str:
        try:
            return _apply_one(ctx, obj, force=force, dry_run=True)
        except ApiError as exc:
            return describe_error(obj, exc)

    with ThreadPoolExecutor(max_workers=max(1, min(DRY_RUN_WORKERS, len(objs)))) as pool:
        results = list(pool.map(one, objs))
    rejected = [r for r in results if isinstance(r, str)]
    if rejected:
        raise LifecycleError(
            f"the server rejected {len(rejected)} object(s) in a dry run; nothing was written:\n  "
            + "\n  ".join(rejected)
        )
    return [r for r in results if not isinstance(r, str)]


def delete_all(
    ctx: ActionContext,
    objs: list[dict[str, Any]],
    *,
    tolerate: bool = False,
    before_write: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Delete in reverse dependency order; already gone is fine. With ``tolerate`` (deletions after
    a complete apply) a refused delete is reported and returned instead of failing the operation."""
    left: list[dict[str, Any]] = []
    for obj in reversed(objs):
        if before_write is not None:
            before_write()
        try:
            if kube.delete(ctx.client, ref(obj, ctx.namespace), missing_ok=True):
                ctx.out.step(f"deleted {obj['kind']} {obj['metadata']['name']}")
        except ApiError as exc:
            if not tolerate:
                raise LifecycleError(describe_error(obj, exc)) from None
            ctx.out.warn(f"not deleted: {describe_error(obj, exc)}; kept in the release, retried by the next operation")
            left.append(obj)
    return left[::-1]
