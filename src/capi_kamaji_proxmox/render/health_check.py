"""MachineHealthCheck of one pool, selecting only that pool's machines (the chart renders none)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.context import (
    CLUSTER_NAME_LABEL,
    DEPLOYMENT_NAME_LABEL,
    RenderContext,
    prune_object,
)
from capi_kamaji_proxmox.values import fast
from capi_kamaji_proxmox.values.checks import duration_seconds

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import NodePool, UnhealthyCondition

DEFAULT_CONDITIONS: list[UnhealthyCondition] = [
    fast.make("UnhealthyCondition", type="Ready", status="Unknown", timeout=300),
    fast.make("UnhealthyCondition", type="Ready", status="False", timeout=300),
]
DEFAULT_STARTUP = 600


def enabled(pool: NodePool) -> bool:
    return bool(pool.machine_health_check and pool.machine_health_check.enabled)


def render(ctx: RenderContext, pool: NodePool) -> dict[str, Any]:
    mhc = pool.machine_health_check
    assert mhc is not None
    md = naming.machine_deployment(ctx.cluster, pool.name)
    conditions = mhc.unhealthy_conditions or DEFAULT_CONDITIONS
    startup = duration_seconds(mhc.node_startup_timeout) if mhc.node_startup_timeout is not None else DEFAULT_STARTUP
    spec: dict[str, Any] = {
        "clusterName": ctx.cluster,
        "selector": {"matchLabels": {CLUSTER_NAME_LABEL: ctx.cluster, DEPLOYMENT_NAME_LABEL: md}},
    }
    if ctx.apis.is_current("MachineHealthCheck"):
        spec["checks"] = {
            "nodeStartupTimeoutSeconds": startup,
            "unhealthyNodeConditions": [
                {"type": c.type, "status": c.status, "timeoutSeconds": duration_seconds(c.timeout)} for c in conditions
            ],
        }
        if mhc.max_unhealthy is not None:
            spec["remediation"] = {"triggerIf": {"unhealthyLessThanOrEqualTo": mhc.max_unhealthy}}
    else:
        spec["nodeStartupTimeout"] = f"{startup}s"
        spec["unhealthyConditions"] = [
            {"type": c.type, "status": c.status, "timeout": f"{duration_seconds(c.timeout)}s"} for c in conditions
        ]
        spec["maxUnhealthy"] = mhc.max_unhealthy
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("MachineHealthCheck"),
            "kind": "MachineHealthCheck",
            "metadata": ctx.metadata(naming.machine_health_check(ctx.cluster, pool.name)),
            "spec": spec,
        }
    )
