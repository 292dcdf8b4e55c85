"""Doctor checks of the cluster's autoscaling: the autoscaler's kubeconfig, and who else scales.

Two autoscalers acting on one MachineDeployment fight over its replicas, and an autoscaled pool
that no autoscaler discovers never scales: both are found by reading the autoscaler Deployments
of the management cluster and matching their ``--node-group-auto-discovery`` specs against this
cluster's pools exactly as the autoscaler's clusterapi provider does (namespace, clusterName,
labels; no spec at all means everything).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.errors import Forbidden, NotFound
from capi_kamaji_proxmox.proxmox.preflight import CheckResult
from capi_kamaji_proxmox.render.context import CLUSTER_NAME_LABEL
from capi_kamaji_proxmox.values import autoscaler as settings
from capi_kamaji_proxmox.values.checks import cluster_name
from capi_kamaji_proxmox.values.model import NodePool, Values

DISCOVERY_FLAG = "--node-group-auto-discovery"


@dataclass(frozen=True)
class Spec:
    """One ``clusterapi:k=v,...`` discovery spec, as the autoscaler parses it."""

    namespace: str = ""
    cluster: str = ""
    labels: tuple[tuple[str, str], ...] = ()

    def matches(self, namespace: str, cluster: str, labels: dict[str, str]) -> bool:
        return (
            (not self.namespace or self.namespace == namespace)
            and (not self.cluster or self.cluster == cluster)
            and all(labels.get(k) == v for k, v in self.labels)
        )


def parse_spec(text: str) -> Spec | None:
    """A spec, or None for one the autoscaler would reject (it would not start, so it scales nothing)."""
    kind, sep, rest = text.partition(":")
    if kind != "clusterapi" or not sep:
        return None
    namespace = cluster = ""
    labels: list[tuple[str, str]] = []
    for arg in filter(None, rest.split(",")):
        key, eq, value = arg.partition("=")
        if not eq:
            return None
        if key == "namespace":
            namespace = value
        elif key == "clusterName":
            cluster = value
        else:
            labels.append((key, value))
    return Spec(namespace, cluster, tuple(labels))


def _flag_values(args: list[str], flag: str) -> Iterator[str]:
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            yield arg.split("=", 1)[1]
        elif arg == flag and i + 1 < len(args):
            yield args[i + 1]


@dataclass(frozen=True)
class Autoscaler:
    """A Deployment that runs the Cluster Autoscaler with the clusterapi provider."""

    namespace: str
    name: str
    discovery: tuple[str, ...]  # the raw --node-group-auto-discovery values

    @property
    def specs(self) -> list[Spec]:
        return [s for s in (parse_spec(d) for d in self.discovery) if s is not None]

    def discovers(self, namespace: str, cluster: str, labels: dict[str, str]) -> bool:
        if not self.discovery:
            return True  # no spec: the provider lists every MachineDeployment of every namespace
        return any(s.matches(namespace, cluster, labels) for s in self.specs)

    def describe(self) -> str:
        flags = " ".join(f"{DISCOVERY_FLAG}={d}" for d in self.discovery) or f"no {DISCOVERY_FLAG} (discovers all)"
        return f"Deployment {self.namespace}/{self.name} ({flags})"


def autoscalers(deployments: list[dict[str, Any]]) -> list[Autoscaler]:
    """The Deployments whose containers run the autoscaler with the clusterapi provider."""
    out: list[Autoscaler] = []
    for d in deployments:
        containers = ((d.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
        for c in containers:
            args = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
            providers = list(_flag_values(args, "--cloud-provider"))
            is_ca = "cluster-autoscaler" in str(c.get("image", "")) or any("cluster-autoscaler" in a for a in args)
            if not is_ca or (providers and providers[-1] != "clusterapi"):
                continue
            meta = d["metadata"]
            out.append(Autoscaler(meta.get("namespace", ""), meta["name"], tuple(_flag_values(args, DISCOVERY_FLAG))))
            break
    return out


def pool_labels(cluster: str, pool: NodePool) -> dict[str, str]:
    """The labels the render puts on an autoscaled pool's MachineDeployment."""
    extra = (pool.autoscaling.labels if pool.autoscaling else None) or {}
    return {CLUSTER_NAME_LABEL: cluster, **extra}


def check_kubeconfig_secret(client: KubeClient, namespace: str, values: Values, release: str) -> CheckResult:
    """The Secret the autoscaler mounts: absent before provisioning is normal (a warning)."""
    cluster = cluster_name(values, release)
    name, key = settings.kubeconfig_secret(values, cluster)
    check = "autoscaler-kubeconfig"
    try:
        secret = kube.get(client, kube.ObjectRef("v1", "Secret", name, namespace))
    except NotFound:
        return CheckResult(
            check,
            "warn",
            f"Secret {namespace}/{name} does not exist yet; Cluster API writes it once the control plane is up, "
            "and the autoscaler Pod waits for it until then",
            "nothing to do before the first install; afterwards check the control plane "
            "(or set autoscaler.kubeconfigSecret)",
        )
    raw = (secret.get("data") or {}).get(key)
    try:
        usable = bool(raw) and b"clusters" in base64.b64decode(raw or "", validate=True)
    except (binascii.Error, ValueError):
        usable = False
    if not usable:
        return CheckResult(
            check,
            "fail",
            f"Secret {namespace}/{name} has no kubeconfig under key {key!r}",
            "set autoscaler.kubeconfigSecret.name/key to the Secret holding the workload kubeconfig",
        )
    return CheckResult(check, "pass", f"Secret {namespace}/{name} key {key} holds a kubeconfig")


def check_other_autoscalers(client: KubeClient, namespace: str, values: Values, release: str) -> CheckResult:
    """Who acts on the autoscaled pools: ours alone, another one, or nobody (each named)."""
    check = "autoscaler"
    cluster = cluster_name(values, release)
    pools = settings.autoscaled_pools(values)
    ours = settings.enabled(values)
    try:
        deployments = kube.list_objects(client, "apps/v1", "Deployment", all_namespaces=True)
    except Forbidden:
        return CheckResult(
            check,
            "warn",
            "not allowed to list Deployments cluster-wide, so other Cluster Autoscalers were not looked for",
            "run doctor with a user that may list deployments.apps in all namespaces",
        )
    own = (namespace, naming.cluster_autoscaler(cluster))
    others = [a for a in autoscalers(deployments) if (a.namespace, a.name) != own]
    acting = [a for a in others if any(a.discovers(namespace, cluster, pool_labels(cluster, p)) for p in pools)]
    names = ", ".join(p.name for p in pools)
    if ours and acting:
        return CheckResult(
            check,
            "fail",
            "another Cluster Autoscaler discovers this cluster's MachineDeployments: "
            + "; ".join(a.describe() for a in acting),
            "remove it (for example `helm uninstall` of the chart's release) or narrow its discovery to other "
            "clusters; two autoscalers fight over replicas",
        )
    if ours:
        return CheckResult(check, "pass", f"only this release's autoscaler discovers its pools ({names or 'none yet'})")
    if not pools:
        return CheckResult(check, "pass", "no pool is autoscaled")
    if acting:
        return CheckResult(check, "pass", f"pools {names} are scaled by " + "; ".join(a.describe() for a in acting))
    return CheckResult(
        check,
        "warn",
        f"pools {names} are autoscaled, but no Cluster Autoscaler in the management cluster discovers them "
        "and autoscaler.enabled is off, so nothing will change their size",
        "set autoscaler.enabled=true (the tool then runs one for this cluster)",
    )


def autoscaler_checks(
    client: KubeClient, namespace: str, values: Values, release: str
) -> list[tuple[str, Callable[[], CheckResult]]]:
    """(name, check) for the autoscaling checks that apply (none when nothing is autoscaled)."""
    if not settings.enabled(values) and not settings.autoscaled_pools(values):
        return []
    out: list[tuple[str, Callable[[], CheckResult]]] = [
        ("autoscaler", lambda: check_other_autoscalers(client, namespace, values, release))
    ]
    if settings.enabled(values):
        out.append(("autoscaler-kubeconfig", lambda: check_kubeconfig_secret(client, namespace, values, release)))
    return out
