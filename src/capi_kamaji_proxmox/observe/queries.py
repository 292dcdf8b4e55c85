"""Which LISTs each command sends, and loading them into a snapshot.

``status`` always sends the same requests: discovery (cached, one aggregated call), then one LIST
each for release records, Clusters, KamajiControlPlanes and MachineDeployments, in the namespace
or across all namespaces (plus one for autoscaler Deployments when a release runs one).
``describe`` narrows every LIST to one cluster (label or field selector), after reading the
release to learn the cluster's name.
"""

from __future__ import annotations

from ..kube.client import KubeClient
from .build import ReleaseMissing
from .fields import CLUSTER_NAME_LABEL
from .snapshot import AUTOSCALER_LABEL, RELEASES, Query, Snapshot, release_targets, resolve_kinds

__all__ = ["DESCRIBE_KINDS", "STATUS_KINDS", "load_describe", "load_status"]

STATUS_KINDS = ("Cluster", "KamajiControlPlane", "MachineDeployment")
DESCRIBE_KINDS = (
    "Cluster",
    "KamajiControlPlane",
    "MachineDeployment",
    "MachineSet",
    "Machine",
    "ProxmoxMachine",
    "Deployment",
)
RELEASE_SELECTOR = "owner=helm"


def load_status(client: KubeClient, namespace: str | None) -> tuple[Snapshot, list[Query]]:
    """Snapshot for ``status``: ``namespace`` None means all namespaces. Constant request count."""
    snap = Snapshot(resolve_kinds(client, STATUS_KINDS))
    queries = [Query(RELEASES, namespace, RELEASE_SELECTOR)] + [Query(k, namespace) for k in STATUS_KINDS]
    for q in queries:
        snap.load(client, q)
    # One more LIST, only when some release runs an autoscaler: still constant for any fleet size.
    if any((t := release_targets(r)) is not None and t.autoscaler for r in snap.latest_releases(namespace)):
        snap.infos.update(resolve_kinds(client, ["Deployment"]))
        q = Query("Deployment", namespace, "=".join(AUTOSCALER_LABEL))
        snap.load(client, q)
        queries.append(q)
    return snap, queries


def load_describe(client: KubeClient, namespace: str, release: str) -> tuple[Snapshot, list[Query]]:
    """Snapshot for ``describe``; raises :class:`~.build.ReleaseMissing` for an unknown release."""
    snap = Snapshot(resolve_kinds(client, DESCRIBE_KINDS))
    rq = Query(RELEASES, namespace, f"{RELEASE_SELECTOR},name={release}")
    snap.load(client, rq)
    latest = snap.latest_releases(namespace, release)
    if not latest:
        raise ReleaseMissing(f"release {release!r} not found in namespace {namespace!r}")
    queries = [rq]
    targets = release_targets(latest[0])
    if targets is not None:
        selector = f"{CLUSTER_NAME_LABEL}={targets.cluster}"
        queries += [
            Query("Cluster", namespace, name=targets.cluster),
            Query(targets.control_plane_kind, namespace, name=targets.control_plane),
            Query("MachineDeployment", namespace, selector),
            Query("MachineSet", namespace, selector),
            Query("Machine", namespace, selector),
            Query("ProxmoxMachine", namespace, selector),
        ]
        if targets.autoscaler:
            queries.append(Query("Deployment", namespace, name=targets.autoscaler))
    for q in queries[1:]:
        if q.kind in snap.infos:
            snap.load(client, q)
    return snap, [q for q in queries if q.kind == RELEASES or q.kind in snap.infos]
