"""The differences between the chart and this tool that are intended: README "How it differs from
the chart", entry by entry (``title`` is the bold title of the README bullet; a test checks both
lists name the same titles). Anything else the differential tier finds is a bug on one side.

A rule matches a difference by kind, by key path (``*`` one key, ``**`` any number of keys,
shell-style patterns inside a key) and by a condition on the two values. Rules without kinds
document README entries that show no difference in the legacy generation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from tests.differential.compare import ABSENT, Diff, Path

MACHINE_LABEL_PREFIXES = ("node-role.kubernetes.io/", "node-restriction.kubernetes.io/", "node.cluster.x-k8s.io/")


@dataclass(frozen=True)
class Case:
    """What a condition may look at: the values file and both renders (by kind and unhashed name)."""

    values: dict[str, Any]
    chart: dict[tuple[str, str], dict[str, Any]]
    ours: dict[tuple[str, str], dict[str, Any]]

    def our(self, diff: Diff) -> dict[str, Any]:
        return self.ours[(diff.kind, diff.name)]


Condition = Callable[[Diff, Case], bool]


def always(diff: Diff, case: Case) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    title: str
    kinds: tuple[str, ...] = ()
    paths: tuple[tuple[str, ...], ...] = ()
    when: Condition = always
    why: str = ""

    def matches(self, diff: Diff, case: Case) -> bool:
        return (
            diff.kind in self.kinds and any(_path_matches(p, diff.path) for p in self.paths) and self.when(diff, case)
        )


def _path_matches(pattern: tuple[str, ...], path: Path) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_path_matches(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatchcase(str(path[0]), head) and _path_matches(rest, path[1:])


# ----------------------------------------------------------------------------- conditions


def _empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return False


def chart_empty_ours_absent(diff: Diff, case: Case) -> bool:
    return diff.ours is ABSENT and diff.chart is not ABSENT and _empty(diff.chart)


def chart_absent(diff: Diff, case: Case) -> bool:
    return diff.chart is ABSENT


def ours_absent(diff: Diff, case: Case) -> bool:
    return diff.ours is ABSENT


def autoscaled(diff: Diff, case: Case) -> bool:
    annotations = case.our(diff)["metadata"].get("annotations") or {}
    return "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size" in annotations


def discovery_label_moved(diff: Diff, case: Case) -> bool:
    """A label the chart put on the Machines that this tool puts on the MachineDeployment only."""
    key = diff.path[-1]
    return (
        autoscaled(diff, case) and diff.ours is ABSENT and case.our(diff)["metadata"]["labels"].get(key) == diff.chart
    )


def default_discovery_label(diff: Diff, case: Case) -> bool:
    """The pool default's discovery label, kept next to the pool's own (maps merge)."""
    return diff.chart is ABSENT and diff.path[-1] == "autoscaling" and diff.ours == "enabled"


def api_server_port(diff: Diff, case: Case) -> bool:
    port = ((case.values.get("cluster") or {}).get("clusterNetwork") or {}).get("apiServerPort")
    return diff.chart == 6443 and diff.ours == port


def cluster_version(diff: Diff, case: Case) -> bool:
    return diff.ours == (case.values.get("cluster") or {}).get("version") and diff.chart != diff.ours


def credentials_alias(diff: Diff, case: Case) -> bool:
    cref = (case.values.get("cluster") or {}).get("credentialsRef") or {}
    secret_set = isinstance((case.values.get("proxmox") or {}).get("secret"), dict)
    return not secret_set and diff.ours == cref.get(diff.path[-1])


def selector_without_source_node(diff: Diff, case: Case) -> bool:
    return diff.ours is ABSENT and "templateSelector" in case.our(diff)["spec"]["template"]["spec"]


def sorted_tags(diff: Diff, case: Case) -> bool:
    return isinstance(diff.chart, list) and sorted(diff.chart) == diff.ours


def _labels(text: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in str(text).split(","):
        if item.strip():
            key, _, value = item.strip().partition("=")
            out[key.strip()] = value.strip()
    return out


def kubelet_labels(diff: Diff, case: Case) -> bool:
    """The chart's string minus the labels a kubelet may not set, written k=v,k2=v2."""
    kept = {k: v for k, v in _labels(diff.chart).items() if not k.startswith(MACHINE_LABEL_PREFIXES)}
    return (diff.ours is ABSENT and not kept) or (diff.ours is not ABSENT and _labels(diff.ours) == kept)


def machine_label(diff: Diff, case: Case) -> bool:
    return diff.chart is ABSENT and str(diff.path[-1]).startswith(MACHINE_LABEL_PREFIXES)


def excluded_cluster_addresses(diff: Diff, case: Case) -> bool:
    cfg = (case.values.get("cluster") or {}).get("ipv4Config") or {"addresses": ["192.168.100.10"]}
    return diff.chart is ABSENT and set(diff.ours) <= set(cfg.get("addresses") or [])


def ipam_off_reference(diff: Diff, case: Case) -> bool:
    return diff.ours is ABSENT and (case.values.get("ipamProvider") or {}).get("enabled") is False


def unused_ipam_pool(diff: Diff, case: Case) -> bool:
    return (
        diff.ours is ABSENT
        and not diff.path
        and not any(k[0] == "ProxmoxMachineTemplate" and "ipv4PoolRef" in str(o) for k, o in case.chart.items())
    )


def narrower_secret_access(diff: Diff, case: Case) -> bool:
    if diff.path[-1] == "verbs":
        return diff.chart == ["get", "list", "watch"] and diff.ours == ["get", "watch"]
    return diff.chart is ABSENT and diff.ours == [
        f"{case.our(diff)['metadata']['labels']['cluster.x-k8s.io/cluster-name']}-api-server-kubelet-client-certificate"
    ]


# ----------------------------------------------------------------------------- the list

TEMPLATE_SPEC = ("spec", "template", "spec")

ALLOWED: list[Rule] = [
    Rule(
        "Selectors",
        ("MachineDeployment",),
        (
            ("spec", "selector", "matchLabels", "cluster.x-k8s.io/deployment-name"),
            ("spec", "template", "metadata", "labels", "cluster.x-k8s.io/deployment-name"),
        ),
        chart_absent,
        "the chart's selector (cluster name only) matched every pool's Machines",
    ),
    Rule(
        "Autoscaled pools",
        ("MachineDeployment",),
        (("spec", "replicas"),),
        autoscaled,
        "the autoscaler owns replicas; a rendered count resets it on every upgrade",
    ),
    Rule(
        "Autoscaled pools",
        ("MachineDeployment",),
        (("metadata", "annotations", "capacity.cluster-autoscaler.kubernetes.io/*"),),
        chart_absent,
        "scale-from-zero capacity: ProxmoxMachineTemplate has no status the autoscaler could read",
    ),
    Rule(
        "Autoscaled pools",
        ("MachineDeployment",),
        (("spec", "template", "metadata", "labels", "*"),),
        discovery_label_moved,
        "discovery labels select MachineDeployments, not Machines",
    ),
    Rule(
        "Per-pool defaults",
        ("MachineDeployment",),
        (("metadata", "labels", "autoscaling"),),
        default_discovery_label,
        "a pool's maps merge with the pool defaults, as Helm merges maps",
    ),
    Rule(
        "API server port",
        ("Cluster",),
        (("spec", "clusterNetwork", "apiServerPort"),),
        api_server_port,
        "the chart read .apiServerPort from the wrong scope and always rendered 6443",
    ),
    Rule(
        "API server port",
        ("Service",),
        (("spec", "ports", "0", "port"), ("spec", "ports", "0", "targetPort")),
        api_server_port,
        "the metrics Service targets the port the API server listens on",
    ),
    Rule(
        "Cluster labels",
        ("Cluster",),
        (("metadata", "labels", "*"),),
        chart_absent,
        "add-on controllers (ClusterResourceSet, CAAPH, Sveltos) select Cluster labels; the chart put "
        "controlPlane.labels only on the KamajiControlPlane",
    ),
    Rule(
        "Kubernetes version",
        ("KamajiControlPlane",),
        (("spec", "version"),),
        cluster_version,
        "cluster.version is the version; the chart read only cluster.controlPlane.version",
    ),
    Rule(
        "Kubernetes version",
        ("MachineDeployment",),
        (("spec", "template", "spec", "version"),),
        cluster_version,
        "the machines follow cluster.version too",
    ),
    Rule(
        "Credentials",
        ("ProxmoxCluster",),
        (("spec", "credentialsRef", "name"), ("spec", "credentialsRef", "namespace")),
        credentials_alias,
        "the chart ignored cluster.credentialsRef",
    ),
    Rule(
        "Empty values",
        ("KamajiControlPlane", "KubeadmConfigTemplate", "ProxmoxMachineTemplate", "MachineDeployment"),
        (("**",),),
        chart_empty_ours_absent,
        'the chart rendered unset keys as null, "", [] or {}',
    ),
    Rule(
        "Template source",
        ("ProxmoxMachineTemplate",),
        ((*TEMPLATE_SPEC, "sourceNode"),),
        selector_without_source_node,
        "CAPMOX rejects every machine cloned with sourceNode and a selector",
    ),
    Rule(
        "Template source",
        ("ProxmoxMachineTemplate",),
        ((*TEMPLATE_SPEC, "templateSelector", "matchTags"),),
        sorted_tags,
        "tags match as a set; sorted, the template's name does not depend on their order",
    ),
    Rule(
        "Node labels",
        ("KubeadmConfigTemplate",),
        ((*TEMPLATE_SPEC, "joinConfiguration", "nodeRegistration", "kubeletExtraArgs", "node-labels"),),
        kubelet_labels,
        "NodeRestriction forbids a kubelet to set node-role.kubernetes.io/* and the like",
    ),
    Rule(
        "Node labels",
        ("MachineDeployment",),
        (("spec", "template", "metadata", "labels", "*"),),
        machine_label,
        "Cluster API copies these Machine labels to the Node",
    ),
    Rule(
        "IPAM pool",
        ("InClusterIPPool",),
        (("spec", "excludedAddresses"),),
        excluded_cluster_addresses,
        "the ProxmoxCluster's own addresses inside the range must not be handed out twice",
    ),
    Rule(
        "IPAM pool",
        ("ProxmoxMachineTemplate",),
        ((*TEMPLATE_SPEC, "network", "default", "ipv4PoolRef"),),
        ipam_off_reference,
        "the chart referenced a pool it did not render: those machines never got an address",
    ),
    Rule("IPAM pool", ("InClusterIPPool",), ((),), unused_ipam_pool, "no pool takes addresses from it"),
    Rule(
        "Metrics RBAC",
        ("Role",),
        (("rules", "0", "verbs"), ("rules", "0", "resourceNames")),
        narrower_secret_access,
        "Prometheus may read the one client certificate Secret, not every Secret of the namespace",
    ),
    # README entries without a difference in the legacy generation's output:
    Rule("Name lengths", why="validation only: over-long names are errors before anything is rendered"),
    Rule("Control-plane API version", why="legacy renders KamajiControlPlane v1alpha1, as the chart"),
    Rule("Current generation", why="the differential tier compares the legacy generation, the chart's"),
]


def allowed(diff: Diff, case: Case) -> Rule | None:
    return next((r for r in ALLOWED if r.matches(diff, case)), None)
