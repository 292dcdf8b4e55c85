"""Facts about the CNI charts the tool installs, from each project's documentation (docs/addons.md).

Per chart: the repository, chart name and pinned version, the workload namespace and release
name, and the values keys that carry the pod CIDR and the scheduling settings a Kamaji tenant
needs. A hosted control plane has no control-plane nodes, so nothing may be pinned to them, and
the CNI must schedule onto nodes that are still NotReady (no CNI yet) or uninitialized (no cloud
provider, no Machine link yet).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

# Taints a fresh node of this cluster carries until the CNI, the cloud provider and Cluster API
# have done their part; the CNI's own pods must tolerate all three.
BOOTSTRAP_TAINTS = (
    "node.kubernetes.io/not-ready",
    "node.cloudprovider.kubernetes.io/uninitialized",
    "node.cluster.x-k8s.io/uninitialized",
)


def bootstrap_tolerations() -> list[dict[str, str]]:
    return [{"key": key, "operator": "Exists"} for key in BOOTSTRAP_TAINTS]


class CNIChart(NamedTuple):  # not a dataclass: `template` starts without importing dataclasses
    repo_url: str
    chart_name: str
    version: str
    namespace: str
    release_name: str
    defaults: Callable[[list[str]], dict[str, Any]]  # pod CIDRs -> tenant-safe values


def _calico(cidrs: list[str]) -> dict[str, Any]:
    # tigera-operator: `installation` is the operator.tigera.io Installation spec. The operator pod
    # keeps the chart's tolerations (Exists for NoSchedule and NoExecute); Calico's own control-plane
    # components (kube-controllers, typha) take controlPlaneTolerations.
    return {
        "installation": {
            "calicoNetwork": {"ipPools": [{"cidr": c} for c in cidrs]},
            "controlPlaneTolerations": bootstrap_tolerations(),
        }
    }


def _cilium(cidrs: list[str]) -> dict[str, Any]:
    # cilium: cluster-pool IPAM (the chart's default mode) hands out ipam.operator.clusterPoolIPv4PodCIDRList
    # (default 10.0.0.0/8); the agent DaemonSet tolerates everything by default, the operator does not.
    v4 = [c for c in cidrs if ":" not in c]
    return {
        "ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": v4}},
        "operator": {"tolerations": bootstrap_tolerations()},
    }


CNI_CHARTS: dict[str, CNIChart] = {
    "calico": CNIChart(
        repo_url="https://docs.tigera.io/calico/charts",
        chart_name="tigera-operator",
        version="v3.30.3",
        namespace="tigera-operator",
        release_name="calico",
        defaults=_calico,
    ),
    "cilium": CNIChart(
        repo_url="https://helm.cilium.io",
        chart_name="cilium",
        version="1.18.0",
        namespace="kube-system",
        release_name="cilium",
        defaults=_cilium,
    ),
}
