"""The Cluster: network settings and the references to its control plane and infrastructure."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.render.apis import KINDS
from capi_kamaji_proxmox.render.context import RenderContext, prune_object


def ref(ctx: RenderContext, kind: str, name: str, from_kind: str) -> dict[str, Any]:
    """A reference in the shape of the referring kind's version: v1beta2 names the group only."""
    if ctx.apis.is_current(from_kind):
        return {"apiGroup": KINDS[kind].group, "kind": kind, "name": name}
    return {"apiVersion": ctx.apis.api_version(kind), "kind": kind, "name": name}


def labels(ctx: RenderContext) -> dict[str, str]:
    """The Cluster's labels: add-on controllers (ClusterResourceSet, CAAPH, Sveltos) select Clusters,
    so the chart's ``controlPlane.labels`` (``cni: calico``) are copied here, then ``cluster.labels``.
    The cluster-name label always stays."""
    meta: dict[str, str] = ctx.metadata(ctx.cluster)["labels"]
    return {**meta, **(ctx.cp.labels or {}), **(ctx.cv.labels or {}), **meta}


def render(ctx: RenderContext) -> dict[str, Any]:
    net = ctx.cv.cluster_network
    spec = {
        "clusterNetwork": None
        if net is None
        else {
            "apiServerPort": net.api_server_port,
            "pods": {"cidrBlocks": net.pods.cidr_blocks} if net.pods else None,
            "services": {"cidrBlocks": net.services.cidr_blocks} if net.services else None,
            "serviceDomain": net.service_domain,
        },
        "controlPlaneRef": ref(ctx, "KamajiControlPlane", ctx.cluster, "Cluster"),
        "infrastructureRef": ref(ctx, "ProxmoxCluster", ctx.cluster, "Cluster"),
    }
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("Cluster"),
            "kind": "Cluster",
            "metadata": {**ctx.metadata(ctx.cluster), "labels": labels(ctx)},
            "spec": spec,
        }
    )
