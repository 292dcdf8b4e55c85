"""Render all objects of one release, in dependency order. Pure: same input, same output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox.render import (
    addons,
    autoscaler,
    bootstrap_template,
    cluster,
    control_plane,
    health_check,
    ip_pool,
    machine_deployment,
    machine_template,
    metrics,
    proxmox_cluster,
)
from capi_kamaji_proxmox.render.apis import ApiVersions
from capi_kamaji_proxmox.render.context import RenderContext
from capi_kamaji_proxmox.values.errors import ValuesError

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import Values

Manifest = dict[str, Any]


def needed_kinds(values: Values, apis: ApiVersions | None = None) -> list[str]:
    """Kinds the render of these values uses (what discovery must find served)."""
    kinds = [
        "ProxmoxCluster",
        "KamajiControlPlane",
        "Cluster",
        "ProxmoxMachineTemplate",
        "KubeadmConfigTemplate",
        "MachineDeployment",
    ]
    pools = values.node_pools or []
    if any(health_check.enabled(p) for p in pools):
        kinds.append("MachineHealthCheck")
    ipam_on = bool(values.ipam_provider and values.ipam_provider.enabled)
    devices = any(dev.ipv4 for p in pools for dev in ((p.network.additional_devices if p.network else None) or []))
    if ipam_on or devices:
        kinds.append("InClusterIPPool")
    if values.cluster and values.cluster.metrics and values.cluster.metrics.enabled:
        kinds.append("ServiceMonitor")
    return kinds + addons.needed_addon_kinds(values)


def render(values: Values, *, release_name: str, namespace: str, apis: ApiVersions) -> list[Manifest]:
    """All objects: IP pools, ProxmoxCluster, KamajiControlPlane, Cluster, per pool
    ProxmoxMachineTemplate, KubeadmConfigTemplate, MachineDeployment, MachineHealthCheck; metrics;
    the cluster's autoscaler; add-ons (after the Cluster they select)."""
    apis.require(needed_kinds(values))
    ctx = RenderContext(values=values, release_name=release_name, namespace=namespace, apis=apis)
    out: list[Manifest] = []
    out += ip_pool.render(ctx)
    out.append(proxmox_cluster.render(ctx))
    out.append(control_plane.render(ctx))
    out.append(cluster.render(ctx))
    problems: list[str] = []
    for pool in ctx.pools:
        try:
            pmt = machine_template.render(ctx, pool)
        except ValuesError as exc:  # what this generation cannot express: every pool's, at once
            problems += exc.problems
            continue
        kct = bootstrap_template.render(ctx, pool)
        out += [pmt, kct]
        out.append(machine_deployment.render(ctx, pool, pmt["metadata"]["name"], kct["metadata"]["name"]))
        if health_check.enabled(pool):
            out.append(health_check.render(ctx, pool))
    if problems:
        raise ValuesError(problems)
    if metrics.enabled(ctx):
        out += metrics.render(ctx)
    if autoscaler.enabled(ctx):
        out += autoscaler.render(ctx)
    out += addons.render(ctx)
    return out
