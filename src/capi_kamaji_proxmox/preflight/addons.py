"""Doctor checks of the add-ons: is the chosen backend served, does the pod network collide with
the node or service ranges, and is the CNI left out while konnectivity needs one.

``served(kind)`` answers ``(version, "")`` or ``("", why not)`` — the management module's kind
choice — so these checks stay pure and are testable without a server.
"""

from __future__ import annotations

from collections.abc import Callable

from capi_kamaji_proxmox.proxmox.preflight import CheckResult
from capi_kamaji_proxmox.render.addons import cni_of, extras_of
from capi_kamaji_proxmox.values.addon_checks import cni_backend
from capi_kamaji_proxmox.values.ipranges import IPRange, parse_range
from capi_kamaji_proxmox.values.model import ClusterValues, Values

Served = Callable[[str], tuple[str, str]]

_FIX = {
    "HelmChartProxy": "install CAAPH: clusterctl init --addon helm (or set addons.cni.backend=crs with "
    "--set-file addons.cni.manifest=FILE)",
    "ClusterResourceSet": "enable Cluster API's ClusterResourceSet feature (EXP_CLUSTER_RESOURCE_SET=true) "
    "or use backend caaph",
}


def addon_kinds(values: Values) -> list[tuple[str, str]]:
    """(kind, what needs it) for every add-on backend the values use."""
    out: list[tuple[str, str]] = []
    cni = cni_of(values)
    if cni is not None and cni_backend(cni) == "caaph":
        out.append(("HelmChartProxy", f"addons.cni ({cni.provider}, backend caaph)"))
    elif extras_of(values):
        out.append(("HelmChartProxy", "addons.extra"))
    if cni is not None and cni_backend(cni) == "crs":
        out.append(("ClusterResourceSet", f"addons.cni ({cni.provider}, backend crs)"))
    return out


def check_backends(values: Values, served: Served) -> list[CheckResult]:
    results: list[CheckResult] = []
    for kind, need in addon_kinds(values):
        version, why = served(kind)
        if version:
            results.append(CheckResult("addons", "pass", f"{kind} served in {version}; {need} uses it"))
        else:
            results.append(CheckResult("addons", "fail", f"{why}; {need} needs it", _FIX[kind]))
    return results


def _node_ranges(values: Values) -> list[tuple[str, IPRange]]:
    cluster = values.cluster or ClusterValues()
    texts: list[tuple[str, str]] = []
    if values.ipam_provider and values.ipam_provider.enabled:
        texts += [("ipamProvider.ranges", r) for r in values.ipam_provider.ranges or []]
    if cluster.ipv4_config:
        texts += [("cluster.ipv4Config.addresses", r) for r in cluster.ipv4_config.addresses or []]
    for i, pool in enumerate(values.node_pools or []):
        for d, dev in enumerate((pool.network.additional_devices if pool.network else None) or []):
            key = f"nodePools[{i}].network.additionalDevices[{d}].ipv4.ranges"
            texts += [(key, r) for r in (dev.ipv4.ranges if dev.ipv4 else [])]
    out: list[tuple[str, IPRange]] = []
    for key, text in texts:
        try:
            out.append((key, parse_range(text)))
        except ValueError:
            continue  # values validation reports it
    return out


def _cidrs(key: str, blocks: list[str] | None) -> list[tuple[str, IPRange]]:
    out: list[tuple[str, IPRange]] = []
    for text in blocks or []:
        try:
            out.append((key, parse_range(text)))
        except ValueError:
            continue  # IPv6 or unreadable: nothing to compare here
    return out


def check_pod_network(values: Values) -> CheckResult:
    """The pod CIDR must not overlap the node address ranges or the service CIDR."""
    net = (values.cluster or ClusterValues()).cluster_network
    pods = _cidrs("cluster.clusterNetwork.pods.cidrBlocks", net.pods.cidr_blocks if net and net.pods else None)
    if not pods:
        return CheckResult("pod-network", "warn", "no IPv4 pod CIDR set", "set cluster.clusterNetwork.pods.cidrBlocks")
    others = _cidrs(
        "cluster.clusterNetwork.services.cidrBlocks", net.services.cidr_blocks if net and net.services else None
    )
    others += _node_ranges(values)
    clashes = [f"{p.text} overlaps {key} {o.text}" for _, p in pods for key, o in others if p.overlaps(o)]
    if clashes:
        return CheckResult(
            "pod-network",
            "fail",
            "; ".join(clashes),
            "pick a pod CIDR (cluster.clusterNetwork.pods.cidrBlocks) outside the node and service ranges",
        )
    return CheckResult(
        "pod-network", "pass", f"pod CIDR {', '.join(p.text for _, p in pods)} is clear of node and service ranges"
    )


def check_cni_choice(values: Values) -> CheckResult | None:
    """``provider: none`` with konnectivity on: the agent runs on nodes that stay NotReady without a CNI."""
    cni = values.addons.cni if values.addons else None
    if cni is None or cni.provider != "none":
        return None
    cp = (values.cluster or ClusterValues()).control_plane
    konnectivity = cp is not None and cp.addons is not None and cp.addons.konnectivity is not None
    if not konnectivity:
        return CheckResult("cni", "pass", "addons.cni.provider is none; konnectivity is off")
    return CheckResult(
        "cni",
        "warn",
        "addons.cni.provider is none while konnectivity is on: without a CNI the nodes stay NotReady and the "
        "konnectivity agent cannot reach the control plane (no kubectl logs/exec)",
        "install a CNI yourself right after the first node joins, or set addons.cni.provider",
    )


def run_addon_checks(values: Values, served: Served) -> list[CheckResult]:
    """Every add-on check, in a fixed order (backend, pod network, CNI choice)."""
    results = check_backends(values, served)
    results.append(check_pod_network(values))
    choice = check_cni_choice(values)
    if choice is not None:
        results.append(choice)
    return results
