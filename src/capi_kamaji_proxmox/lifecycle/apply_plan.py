"""Applying and deleting objects: one field manager, strict validation, dependency order."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
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
    ctx: ActionContext, objs: list[dict[str, Any]], *, force: bool = False, dry_run: bool = False
) -> list[dict[str, Any]]:
    """Server-side apply in order; the first failure stops with a message naming the object."""
    out = []
    for obj in objs:
        try:
            out.append(_apply_one(ctx, obj, force=force or ctx.options.force_conflicts, dry_run=dry_run))
        except ApiError as exc:
            raise LifecycleError(describe_error(obj, exc)) from None
        if not dry_run:
            ctx.out.step(f"applied {obj['kind']} {obj['metadata']['name']}")
    return out


def delete_all(ctx: ActionContext, objs: list[dict[str, Any]]) -> None:
    """Delete in reverse dependency order; already gone is fine."""
    for obj in reversed(objs):
        try:
            if kube.delete(ctx.client, ref(obj, ctx.namespace), missing_ok=True):
                ctx.out.step(f"deleted {obj['kind']} {obj['metadata']['name']}")
        except ApiError as exc:
            raise LifecycleError(describe_error(obj, exc)) from None
