"""MachineDeployment of one pool: replicas or autoscaler bounds, rollout policy, template refs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.bootstrap_template import split_labels, taint_args
from capi_kamaji_proxmox.render.cluster import ref
from capi_kamaji_proxmox.render.context import (
    CLUSTER_NAME_LABEL,
    DEPLOYMENT_NAME_LABEL,
    RenderContext,
    prune_object,
)
from capi_kamaji_proxmox.values.checks import duration_seconds

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import NodePool

MIN_SIZE = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
MAX_SIZE = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
CAPACITY = "capacity.cluster-autoscaler.kubernetes.io/"
OPTIONS = "cluster.x-k8s.io/autoscaling-options-"


def go_duration(value: int | str) -> str:
    """The autoscaler parses these with Go's time.ParseDuration: whole seconds get an ``s``."""
    return f"{value}s" if isinstance(value, int) else value


def _per_pool_options(pool: NodePool) -> dict[str, str]:
    """The autoscaler's per-node-group options (they override its flags for this pool only)."""
    auto = pool.autoscaling
    assert auto is not None
    out: dict[str, str] = {}
    if auto.scale_down_utilization_threshold is not None:
        out[OPTIONS + "scaledownutilizationthreshold"] = f"{auto.scale_down_utilization_threshold:g}"
    for key, value in (
        ("scaledownunneededtime", auto.scale_down_unneeded_time),
        ("scaledownunreadytime", auto.scale_down_unready_time),
        ("maxnodeprovisiontime", auto.max_node_provision_time),
    ):
        if value is not None:
            out[OPTIONS + key] = go_duration(value)
    if auto.max_pods is not None:
        out[CAPACITY + "maxPods"] = str(auto.max_pods)
    return out


def autoscaled(pool: NodePool) -> bool:
    return bool(pool.autoscaling and pool.autoscaling.enabled)


def _autoscaler_annotations(pool: NodePool) -> dict[str, str]:
    """Bounds plus scale-from-zero capacity: ProxmoxMachineTemplate has no status to read it from."""
    assert pool.autoscaling is not None
    out = {MIN_SIZE: str(pool.autoscaling.min_size), MAX_SIZE: str(pool.autoscaling.max_size)}
    if pool.num_cores and pool.num_sockets:
        out[CAPACITY + "cpu"] = str(pool.num_cores * pool.num_sockets)
    if pool.memory_mib:
        out[CAPACITY + "memory"] = f"{pool.memory_mib}Mi"
    boot = pool.disks.boot_volume if pool.disks else None
    if boot is not None and boot.size_gb:
        out[CAPACITY + "ephemeral-disk"] = f"{boot.size_gb}Gi"
    kubelet, machine = split_labels(pool)
    labels = {**kubelet, **machine}
    if labels:
        out[CAPACITY + "labels"] = ",".join(f"{k}={v}" for k, v in labels.items())
    taints = taint_args(pool)
    if taints:
        out[CAPACITY + "taints"] = taints
    out.update(_per_pool_options(pool))
    return out


def render(ctx: RenderContext, pool: NodePool, machine_template: str, bootstrap_template: str) -> dict[str, Any]:
    name = naming.machine_deployment(ctx.cluster, pool.name)
    select = {CLUSTER_NAME_LABEL: ctx.cluster, DEPLOYMENT_NAME_LABEL: name}
    _, machine_labels = split_labels(pool)
    meta = ctx.metadata(name)
    if autoscaled(pool):
        assert pool.autoscaling is not None
        meta["labels"].update(pool.autoscaling.labels or {})
        meta["annotations"] = _autoscaler_annotations(pool)
    current = ctx.apis.is_current("MachineDeployment")
    tspec: dict[str, Any] = {
        "clusterName": ctx.cluster,
        "version": ctx.version,
        "bootstrap": {"configRef": ref(ctx, "KubeadmConfigTemplate", bootstrap_template, "MachineDeployment")},
        "infrastructureRef": ref(ctx, "ProxmoxMachineTemplate", machine_template, "MachineDeployment"),
    }
    spec: dict[str, Any] = {
        "clusterName": ctx.cluster,
        # Omitted when autoscaled: the autoscaler owns replicas through the scale subresource.
        "replicas": None if autoscaled(pool) else pool.replicas,
        "selector": {"matchLabels": select},
        "template": {
            "metadata": {"labels": {**select, "node-role.kubernetes.io/node": "", **machine_labels}},
            "spec": tspec,
        },
    }
    ro = pool.rollout
    rolling = {"maxSurge": ro.max_surge, "maxUnavailable": ro.max_unavailable} if ro else None
    drain = None if pool.node_drain_timeout is None else duration_seconds(pool.node_drain_timeout)
    if current:
        if rolling and any(v is not None for v in rolling.values()):
            spec["rollout"] = {"strategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}
        spec["deletion"] = {"order": ro.delete_policy if ro else None}
        tspec["deletion"] = {"nodeDrainTimeoutSeconds": drain}
    else:
        if ro is not None:
            spec["strategy"] = {
                "type": "RollingUpdate",
                "rollingUpdate": {**(rolling or {}), "deletePolicy": ro.delete_policy},
            }
        tspec["nodeDrainTimeout"] = None if drain is None else f"{drain}s"
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("MachineDeployment"),
            "kind": "MachineDeployment",
            "metadata": meta,
            "spec": spec,
        }
    )
