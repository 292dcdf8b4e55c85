"""KubeadmConfigTemplate of one pool: how a VM joins the cluster. Hash-named like the machine template.

The hash input is the v1beta2 shape (kubelet arguments as a name/value list); v1beta1 output only
reshapes it, so the generation never changes the name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.context import RenderContext, prune_object
from capi_kamaji_proxmox.values.checks import parse_labels, parse_taints

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import NodePool

# Labels the kubelet may not set on its own Node (NodeRestriction); Cluster API copies these
# from the Machine to the Node instead.
MACHINE_LABEL_PREFIXES = ("node-role.kubernetes.io/", "node-restriction.kubernetes.io/", "node.cluster.x-k8s.io/")

PROVIDER_ID = "proxmox://'{{ ds.meta_data.instance_id }}'"
CLOUD_INIT_FILE = "/etc/cloud/cloud.cfg.d/99-custom.cfg"


def split_labels(pool: NodePool) -> tuple[dict[str, str], dict[str, str]]:
    """(kubelet node labels, Machine labels) of a pool."""
    kubelet: dict[str, str] = {}
    machine: dict[str, str] = {}
    for key, value in parse_labels(pool.labels).items():
        (machine if key.startswith(MACHINE_LABEL_PREFIXES) else kubelet)[key] = value
    return kubelet, machine


def taint_args(pool: NodePool) -> str:
    parts = []
    for t in parse_taints(pool.taints):
        parts.append(f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}")
    return ",".join(parts)


def content(ctx: RenderContext, pool: NodePool) -> dict[str, Any]:
    kubelet_labels, _ = split_labels(pool)
    args = [{"name": "provider-id", "value": PROVIDER_ID}]
    if kubelet_labels:
        args.append({"name": "node-labels", "value": ",".join(f"{k}={v}" for k, v in kubelet_labels.items())})
    taints = taint_args(pool)
    if taints:
        args.append({"name": "register-with-taints", "value": taints})
    files = None
    if pool.additional_cloud_init_files:
        files = [
            {
                "path": CLOUD_INIT_FILE,
                "content": pool.additional_cloud_init_files,
                "owner": "root:root",
                "permissions": "0644",
            }
        ]
    users = [u.model_dump(by_alias=True, exclude_none=True) for u in pool.users or []]
    return prune_object(
        {
            "joinConfiguration": {
                "nodeRegistration": {
                    "name": "{{ local_hostname }}",
                    "criSocket": "/var/run/containerd/containerd.sock",
                    "kubeletExtraArgs": args,
                }
            },
            "files": files,
            "users": users,
            "preKubeadmCommands": pool.pre_kubeadm_commands,
            "postKubeadmCommands": pool.post_kubeadm_commands,
        }
    )


def render(ctx: RenderContext, pool: NodePool) -> dict[str, Any]:
    spec = content(ctx, pool)
    name = naming.bootstrap_template(ctx.cluster, pool.name, naming.content_hash(spec))
    if not ctx.apis.is_current("KubeadmConfigTemplate"):
        reg = spec["joinConfiguration"]["nodeRegistration"]
        reg["kubeletExtraArgs"] = {a["name"]: a["value"] for a in reg["kubeletExtraArgs"]}
    return {
        "apiVersion": ctx.apis.api_version("KubeadmConfigTemplate"),
        "kind": "KubeadmConfigTemplate",
        "metadata": ctx.metadata(name),
        "spec": {"template": {"spec": spec}},
    }
