"""The KamajiControlPlane. Its spec is the same in v1alpha1 and v1alpha2; only apiVersion differs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox.render.context import RenderContext, prune_object

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import Component, Model


def _dump(model: Model | None) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(by_alias=True, exclude_none=True)


def _component(c: Component | None) -> dict[str, Any] | None:
    return _dump(c)


def render(ctx: RenderContext) -> dict[str, Any]:
    cp = ctx.cp
    meta = ctx.metadata(ctx.cluster, **(cp.labels or {}))
    spec: dict[str, Any] = {
        "dataStoreName": cp.data_store_name,
        "addons": _dump(cp.addons),
        "deployment": _dump(cp.deployment),
        "kubelet": _dump(cp.kubelet),
        "network": _dump(cp.network),
        "apiServer": _component(cp.api_server),
        "controllerManager": _component(cp.controller_manager),
        "scheduler": _component(cp.scheduler),
        "version": ctx.version,
        "replicas": cp.replicas,
    }
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("KamajiControlPlane"),
            "kind": "KamajiControlPlane",
            "metadata": meta,
            "spec": spec,
        }
    )
