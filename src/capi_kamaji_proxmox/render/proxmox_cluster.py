"""The ProxmoxCluster: credentials, node placement, DNS and the provider's own address pool."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.render.context import NODE_ZONE, RenderContext, prune_object


def _ipv4(ranges: list[str] | None, gateway: str | None, prefix: int | None) -> dict[str, Any]:
    return {"addresses": list(ranges or []), "gateway": gateway, "prefix": prefix}


def cluster_ipv4(ctx: RenderContext) -> dict[str, Any]:
    """The ProxmoxCluster pool: the node range in v1alpha2 (unless mixed), else cluster.ipv4Config."""
    ipam = ctx.values.ipam_provider
    cfg = ctx.cv.ipv4_config
    if ipam is not None and ctx.ipam_enabled and ctx.apis.is_current("ProxmoxCluster") and not ctx.mixed_addressing:
        return _ipv4(ipam.ranges, ipam.gateway, ipam.prefix)
    if cfg is None:
        return {}
    return _ipv4(cfg.addresses, cfg.gateway, cfg.prefix)


def render(ctx: RenderContext) -> dict[str, Any]:
    secret = ctx.values.proxmox.secret if ctx.values.proxmox else None
    spec: dict[str, Any] = {
        "credentialsRef": {
            "name": secret.name if secret else None,
            "namespace": (secret.namespace if secret else None) or ctx.namespace,
        },
        # Kamaji owns the endpoint; CAPMOX must not validate or set it.
        "externalManagedControlPlane": True,
        "ipv4Config": cluster_ipv4(ctx),
        "dnsServers": list(ctx.cv.dns_servers or []),
        "allowedNodes": list(ctx.cv.allowed_nodes or []),
    }
    ipam = ctx.values.ipam_provider
    if ctx.mixed_addressing and ctx.apis.is_current("ProxmoxCluster") and ipam is not None:
        # The CRD requires dnsServers on every zone: the zone's nodes use the cluster's.
        spec["zoneConfig"] = [
            {
                "zone": NODE_ZONE,
                "ipv4Config": _ipv4(ipam.ranges, ipam.gateway, ipam.prefix),
                "dnsServers": list(ctx.cv.dns_servers or []),
            }
        ]
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("ProxmoxCluster"),
            "kind": "ProxmoxCluster",
            "metadata": ctx.metadata(ctx.cluster),
            "spec": spec,
        }
    )
