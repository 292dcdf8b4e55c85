"""The cluster's own Cluster Autoscaler: ServiceAccount, Role, RoleBinding and Deployment.

It runs in the cluster's namespace of the management cluster, reads this cluster's
MachineDeployments there with a namespaced Role (nothing cluster-wide) and talks to the workload
cluster through the kubeconfig Secret Cluster API writes. Discovery always names both the
namespace and the cluster, so it never scales another release's pools.
"""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.context import RenderContext, prune_object
from capi_kamaji_proxmox.render.machine_deployment import go_duration
from capi_kamaji_proxmox.values import autoscaler as settings

KUBECONFIG_DIR = "/etc/kubernetes/workload"
KUBECONFIG_FILE = "kubeconfig"
METRICS_PORT = 8085
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
DEFAULT_RESOURCES = {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}}
RBAC = "rbac.authorization.k8s.io"

# What the clusterapi provider does in the management cluster: informers on the CAPI kinds,
# the scale subresource to change replicas, updates of Machines (the delete-machine annotation),
# and reads of the infrastructure machine template for scale from zero.
ROLE_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": ["cluster.x-k8s.io"],
        "resources": ["machinedeployments", "machinesets", "machines", "machinepools"],
        "verbs": ["get", "list", "watch", "update"],
    },
    {
        "apiGroups": ["cluster.x-k8s.io"],
        "resources": ["machinedeployments/scale", "machinepools/scale"],
        "verbs": ["get", "patch", "update"],
    },
    {
        "apiGroups": ["infrastructure.cluster.x-k8s.io"],
        "resources": ["proxmoxmachinetemplates"],
        "verbs": ["get", "list", "watch"],
    },
]


def enabled(ctx: RenderContext) -> bool:
    return settings.enabled(ctx.values)


def args(ctx: RenderContext) -> list[str]:
    """The container's flags: the fixed per-cluster scoping first, then the optional settings."""
    a = settings.settings(ctx.values)
    out = [
        "--cloud-provider=clusterapi",
        f"--kubeconfig={KUBECONFIG_DIR}/{KUBECONFIG_FILE}",
        "--clusterapi-cloud-config-authoritative",
        f"--node-group-auto-discovery=clusterapi:namespace={ctx.namespace},clusterName={ctx.cluster}",
        "--leader-elect=true",
        f"--leader-elect-resource-name={naming.cluster_autoscaler(ctx.cluster)}",
    ]
    if a.scale_down_enabled is not None:
        out.append(f"--scale-down-enabled={str(a.scale_down_enabled).lower()}")
    for flag, value in (
        ("--scale-down-unneeded-time", a.scale_down_unneeded_time),
        ("--scale-down-delay-after-add", a.scale_down_delay_after_add),
        ("--max-node-provision-time", a.max_node_provision_time),
    ):
        if value is not None:
            out.append(f"{flag}={go_duration(value)}")
    if a.scale_down_utilization_threshold is not None:
        out.append(f"--scale-down-utilization-threshold={a.scale_down_utilization_threshold:g}")
    if a.expander:
        names = [a.expander] if isinstance(a.expander, str) else a.expander
        out.append(f"--expander={','.join(names)}")
    out += a.extra_args or []
    return out


def _labels(ctx: RenderContext) -> dict[str, str]:
    return {NAME_LABEL: "cluster-autoscaler", INSTANCE_LABEL: naming.cluster_autoscaler(ctx.cluster)}


def _deployment(ctx: RenderContext) -> dict[str, Any]:
    a = settings.settings(ctx.values)
    name = naming.cluster_autoscaler(ctx.cluster)
    secret, key = settings.kubeconfig_secret(ctx.values, ctx.cluster)
    select = _labels(ctx)
    container = {
        "name": "cluster-autoscaler",
        "image": settings.image(ctx.values),
        "imagePullPolicy": a.image.pull_policy if a.image else None,
        "command": ["/cluster-autoscaler"],
        "args": args(ctx),
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "livenessProbe": {"httpGet": {"path": "/health-check", "port": "metrics"}},
        "resources": a.resources or DEFAULT_RESOURCES,
        "volumeMounts": [{"name": "workload-kubeconfig", "mountPath": KUBECONFIG_DIR, "readOnly": True}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    pod_spec = {
        "serviceAccountName": name,
        "priorityClassName": a.priority_class_name,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,  # the image's distroless "nonroot" user
            "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {
                "name": "workload-kubeconfig",
                "secret": {"secretName": secret, "items": [{"key": key, "path": KUBECONFIG_FILE}]},
            }
        ],
        "nodeSelector": a.node_selector,
        "tolerations": a.tolerations,
        "affinity": a.affinity,
    }
    meta = ctx.metadata(name, **select)
    return prune_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": select},
                "template": {"metadata": {"labels": dict(meta["labels"])}, "spec": pod_spec},
            },
        }
    )


def render(ctx: RenderContext) -> list[dict[str, Any]]:
    """ServiceAccount, Role, RoleBinding, then the Deployment that uses them."""
    name = naming.cluster_autoscaler(ctx.cluster)
    labels = _labels(ctx)
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": ctx.metadata(name, **labels)}
    role = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "Role",
        "metadata": ctx.metadata(name, **labels),
        "rules": ROLE_RULES,
    }
    binding = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": ctx.metadata(name, **labels),
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ctx.namespace}],
        "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": name},
    }
    return [account, role, binding, _deployment(ctx)]
