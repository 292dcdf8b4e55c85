"""Finding each cluster's kubeconfig and reading its workload cluster, for ``describe`` and ``status``.

``describe`` uses the ``kubeconfig`` command's lookup (``<cluster>-kubeconfig``, else Kamaji's admin
Secret). ``status`` must keep its management request count constant, so it sends two LISTs
whatever the fleet size: Secrets labelled with a cluster name (Cluster API labels the kubeconfig
Secret so) and Machines (for node -> pool); clusters whose Secret is not found that way are shown
as "no kubeconfig yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..kube.client import KubeClient
from ..kube.errors import ApiError
from ..naming import kubeconfig_secret
from .build import pool_name
from .fields import CLUSTER_NAME_LABEL, DEPLOYMENT_NAME_LABEL, dig, labels_of, name_of, namespace_of
from .kubeconfig import KubeconfigMissing, fetch_kubeconfig, secret_value
from .snapshot import resolve_kinds
from .workload import workload_view
from .workload_probe import DEFAULT_TIMEOUT, MAX_PARALLEL, probe, probe_many

__all__ = ["WorkloadStats", "describe_workload", "status_workloads"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class WorkloadStats:
    """What reading the workload clusters cost, shown apart from the management requests."""

    clusters: int
    requests: int
    unreachable: int


def describe_workload(
    client: KubeClient, namespace: str, release: str, view: JSON, *, timeout: float = DEFAULT_TIMEOUT
) -> JSON:
    """The workload section of one release's describe view (nodes, kube-system pods, causes)."""
    node_pools = {
        m["nodeName"]: pool["name"] for pool in view.get("pools") or [] for m in pool["machines"] if m["nodeName"]
    }
    try:
        data, _ = fetch_kubeconfig(client, namespace, release)
    except KubeconfigMissing as exc:
        return workload_view(None, {}, missing=str(exc))
    except ApiError as exc:  # e.g. no RBAC on Secrets: the management view still stands
        return workload_view(None, {}, missing=f"cannot read the kubeconfig Secret: {exc}")
    return workload_view(probe(data, timeout=timeout, pods=True), node_pools)


def _path(namespace: str | None, plural_path: str) -> str:
    return f"/api/v1/namespaces/{namespace}/{plural_path}" if namespace else f"/api/v1/{plural_path}"


def status_workloads(
    client: KubeClient,
    namespace: str | None,
    rows: list[JSON],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    parallel: int = MAX_PARALLEL,
) -> WorkloadStats:
    """Add ``workload`` to every status row: two management LISTs, then the clusters concurrently."""
    if not rows:
        return WorkloadStats(0, 0, 0)
    unreadable = ""
    try:
        secrets = client.request("GET", _path(namespace, "secrets"), params={"labelSelector": CLUSTER_NAME_LABEL})
    except ApiError as exc:  # e.g. no RBAC on Secrets: show why instead of failing the whole table
        secrets, unreadable = {}, f"cannot list kubeconfig Secrets: {exc}"
    by_name = {(namespace_of(s), name_of(s)): s for s in secrets.get("items") or []}
    node_pools: dict[tuple[str, str], dict[str, str]] = {}
    info = resolve_kinds(client, ["Machine"])["Machine"]
    if info is not None:
        try:
            machines = client.request("GET", info.path(namespace), params={"labelSelector": DEPLOYMENT_NAME_LABEL})
        except ApiError:  # nodes are still counted, only not per pool
            machines = {}
        for m in machines.get("items") or []:
            node = dig(m, "status", "nodeRef", "name")
            cluster = labels_of(m).get(CLUSTER_NAME_LABEL) or str(dig(m, "spec", "clusterName") or "")
            if node:
                pool = pool_name(cluster, labels_of(m)[DEPLOYMENT_NAME_LABEL])
                node_pools.setdefault((namespace_of(m), cluster), {})[str(node)] = pool
    wanted: dict[tuple[str, str], bytes] = {}
    for row in rows:
        key = (row["namespace"], row["cluster"])
        secret = by_name.get((row["namespace"], kubeconfig_secret(row["cluster"])))
        data = secret_value(secret, "value") if secret is not None else None
        if data is not None:
            wanted[key] = data
    probes = probe_many(wanted, timeout=timeout, parallel=parallel)
    for row in rows:
        key = (row["namespace"], row["cluster"])
        if key in probes:
            row["workload"] = workload_view(probes[key], node_pools.get(key, {}))
        else:
            missing = unreadable or (
                f"no Secret {kubeconfig_secret(row['cluster'])} (key value) labelled with the cluster name"
            )
            row["workload"] = workload_view(None, {}, missing=missing)
    return WorkloadStats(
        clusters=len(probes),
        requests=sum(p.requests for p in probes.values()),
        unreachable=sum(1 for p in probes.values() if not p.reachable),
    )
