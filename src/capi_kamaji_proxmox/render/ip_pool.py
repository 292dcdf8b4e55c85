"""InClusterIPPool objects: the IPAM provider's node range and per-device pools.

Rendered only where a machine template references them: in CAPMOX v1alpha1 the first NIC's
``ipv4PoolRef`` replaces the cluster pool, so the chart's pool is needed; in v1alpha2 the first NIC
always claims from the ProxmoxCluster's own pool, so the node range moves there instead (see the
README's "Node addresses" section).
"""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.context import RenderContext, prune_object
from capi_kamaji_proxmox.values.ipranges import parse_range


def _pool(
    ctx: RenderContext,
    name: str,
    ranges: list[str],
    prefix: int | None,
    gateway: str | None,
    excluded: list[str] | None = None,
) -> dict[str, Any]:
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("InClusterIPPool"),
            "kind": "InClusterIPPool",
            "metadata": ctx.metadata(name),
            "spec": {"addresses": list(ranges), "prefix": prefix, "gateway": gateway, "excludedAddresses": excluded},
        }
    )


def node_pool_needed(ctx: RenderContext) -> bool:
    """The IPAM node pool is referenced only by CAPMOX v1alpha1 templates (or mixed v1alpha2 setups do not need it)."""
    return (
        ctx.ipam_enabled
        and not ctx.apis.is_current("ProxmoxMachineTemplate")
        and any(ctx.pool_uses_ipam(p) for p in ctx.pools)
    )


def render(ctx: RenderContext) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ipam = ctx.values.ipam_provider
    if node_pool_needed(ctx) and ipam is not None:
        # The ProxmoxCluster keeps its own pool (the provider requires one); any of its addresses
        # inside our range are excluded here so no address can be handed out twice.
        cfg = ctx.cv.ipv4_config
        ranges = [parse_range(r) for r in ipam.ranges or []]
        excluded = list(ipam.excluded_addresses or [])
        for text in (cfg.addresses if cfg else None) or []:
            r = parse_range(text)
            if any(r.overlaps(x) for x in ranges) and text not in excluded:
                excluded.append(text)
        out.append(_pool(ctx, naming.ip_pool(ctx.cluster), ipam.ranges or [], ipam.prefix, ipam.gateway, excluded))
    for pool in ctx.pools:
        for d, dev in enumerate((pool.network.additional_devices if pool.network else None) or []):
            if dev.ipv4 is not None:
                name = naming.device_ip_pool(ctx.cluster, pool.name, f"net{d + 1}")
                out.append(_pool(ctx, name, dev.ipv4.ranges, dev.ipv4.prefix, dev.ipv4.gateway))
    return out
