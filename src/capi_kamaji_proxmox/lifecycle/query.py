"""Read-only verbs over release records: history, get, list (what helm shows, from the same records)."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.release.record import Release, format_time
from capi_kamaji_proxmox.release.storage import ReleaseNotFound, SecretStorage, latest_per_release
from capi_kamaji_proxmox.values.merge import coalesce


def summary(rec: Release) -> dict[str, Any]:
    chart = rec.chart.metadata if rec.chart else None
    return {
        "name": rec.name,
        "namespace": rec.namespace,
        "revision": rec.version,
        "updated": format_time(rec.info.last_deployed),
        "status": rec.status.value,
        "chart": f"{chart.name}-{chart.version}" if chart else "",
        "app_version": chart.app_version if chart else "",
        "description": rec.info.description,
    }


def history(ctx: ActionContext, name: str) -> list[Release]:
    hist = ctx.storage.history(name)
    if not hist:
        raise LifecycleError(f"release {name!r} not found in namespace {ctx.namespace!r}")
    return hist


def get_revision(ctx: ActionContext, name: str, revision: int | None) -> Release:
    try:
        return ctx.storage.get(name, revision) if revision else ctx.storage.last(name)
    except ReleaseNotFound as exc:
        raise LifecycleError(str(exc)) from None


def values_of(rec: Release, *, all_values: bool) -> dict[str, Any]:
    """User-supplied values, or (``--all``) the computed values: defaults coalesced with them."""
    if not all_values:
        return rec.config
    defaults = rec.chart.values if rec.chart else {}
    return coalesce(defaults, rec.config)


def list_releases(ctx: ActionContext, *, all_namespaces: bool) -> list[Release]:
    storage = SecretStorage(ctx.client, ctx.namespace)
    return latest_per_release(storage.list(all_namespaces=all_namespaces))
