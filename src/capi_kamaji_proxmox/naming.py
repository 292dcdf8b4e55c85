"""Names of the objects of one release, shared by validation (length checks) and rendering."""

from __future__ import annotations

import json
from typing import Any

try:  # CPython's own SHA-256: hashlib loads OpenSSL first (3 ms of a `template` start)
    from _sha2 import sha256  # type: ignore[import-not-found, unused-ignore]  # Python 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found, no-redef, unused-ignore]  # 3.11
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment, unused-ignore]

HASH_LEN = 8
# Labels and the Cluster API webhooks limit these names to 63 characters (valid label values).
LABEL_LIMIT = 63
# Hash-named templates are only referenced by name, so the DNS-subdomain limit applies.
SUBDOMAIN_LIMIT = 253


def content_hash(content: Any) -> str:
    """First 8 hex digits of the SHA-256 of canonical JSON: key order and formatting never count."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest: str = sha256(canonical.encode()).hexdigest()
    return digest[:HASH_LEN]


def ip_pool(cluster: str) -> str:
    return f"{cluster}-ipam-ip-pool"


def device_ip_pool(cluster: str, pool: str, device: str) -> str:
    return f"{cluster}-{pool}-{device}-ip-pool"


def machine_deployment(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}-md"


def machine_health_check(cluster: str, pool: str) -> str:
    return f"{cluster}-{pool}-mhc"


def machine_template(cluster: str, pool: str, digest: str) -> str:
    return f"{cluster}-{pool}-proxmox-machine-template-{digest}"


def bootstrap_template(cluster: str, pool: str, digest: str) -> str:
    return f"{cluster}-{pool}-kubeadmconfig-{digest}"


def metrics_service(cluster: str) -> str:
    return f"{cluster}-metrics"


def service_monitor(cluster: str) -> str:
    return f"{cluster}-service-monitor"


def metrics_role(cluster: str) -> str:
    return f"{cluster}-prometheus-secret-reader"


def metrics_role_binding(cluster: str) -> str:
    return f"{cluster}-prometheus-secret-access"


def cluster_autoscaler(cluster: str) -> str:
    """Deployment, ServiceAccount, Role and RoleBinding of the cluster's autoscaler (one name for all)."""
    return f"{cluster}-cluster-autoscaler"


def kubeconfig_secret(cluster: str) -> str:
    """The Secret Cluster API defines for a workload cluster's admin kubeconfig."""
    return f"{cluster}-kubeconfig"


def generated_names(
    cluster: str,
    pools: list[tuple[str, list[str]]],
    metrics: bool,
    *,
    ipam: bool = True,
    mhc: set[str] | None = None,
    autoscaler: bool = False,
) -> list[tuple[str, str, int]]:
    """(what, name, limit) for every generated name; ``pools`` is (pool, extra device names)."""
    placeholder = "0" * HASH_LEN
    out: list[tuple[str, str, int]] = [
        ("Cluster/KamajiControlPlane/ProxmoxCluster name", cluster, LABEL_LIMIT),
    ]
    if ipam:
        out.append(("InClusterIPPool name", ip_pool(cluster), LABEL_LIMIT))
    for pool, devices in pools:
        out += [
            (f"MachineDeployment name of pool {pool!r}", machine_deployment(cluster, pool), LABEL_LIMIT),
            (
                f"ProxmoxMachineTemplate name of pool {pool!r}",
                machine_template(cluster, pool, placeholder),
                SUBDOMAIN_LIMIT,
            ),
            (
                f"KubeadmConfigTemplate name of pool {pool!r}",
                bootstrap_template(cluster, pool, placeholder),
                SUBDOMAIN_LIMIT,
            ),
        ]
        if mhc is not None and pool in mhc:
            out.append((f"MachineHealthCheck name of pool {pool!r}", machine_health_check(cluster, pool), LABEL_LIMIT))
        out += [
            (f"InClusterIPPool name of pool {pool!r} device {dev}", device_ip_pool(cluster, pool, dev), LABEL_LIMIT)
            for dev in devices
        ]
    if metrics:
        out += [
            ("metrics Service name", metrics_service(cluster), LABEL_LIMIT),
            ("ServiceMonitor name", service_monitor(cluster), LABEL_LIMIT),
            ("metrics Role name", metrics_role(cluster), LABEL_LIMIT),
            ("metrics RoleBinding name", metrics_role_binding(cluster), LABEL_LIMIT),
        ]
    if autoscaler:
        # A label value too (the Deployment's selector), so the label limit applies.
        out.append(("autoscaler Deployment/ServiceAccount/Role name", cluster_autoscaler(cluster), LABEL_LIMIT))
    return out


def addon(cluster: str, name: str) -> str:
    """HelmChartProxy / ClusterResourceSet / ConfigMap of an add-on (the CNI's name is ``cni``)."""
    return f"{cluster}-{name}"
