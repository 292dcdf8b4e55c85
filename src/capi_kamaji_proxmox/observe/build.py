"""Views of releases joined in memory from a :class:`~.snapshot.Snapshot`.

The views are plain JSON-ready dicts: ``-o json|yaml`` prints them as they are, the table and
tree renderers in :mod:`.text` read the same dicts, so the machine and the human output cannot
disagree. JSON always carries every condition; ``--show-conditions`` only filters the text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..release.record import Release
from .fields import (
    CLUSTER_NAME_LABEL,
    DEPLOYMENT_NAME_LABEL,
    SET_NAME_LABEL,
    Condition,
    autoscaling,
    condition,
    conditions,
    deleting,
    dig,
    endpoint,
    kcp_initialized,
    labels_of,
    meta,
    name_of,
    namespace_of,
    owner_name,
    ref_kind,
    ref_name,
    replicas,
    template_refs,
)
from .rollout import upgrade_summary
from .snapshot import Snapshot, Targets, release_targets

__all__ = ["ReleaseMissing", "describe_view", "pool_name", "status_rows"]

JSON = dict[str, Any]


class ReleaseMissing(LookupError):
    """No record of the release in the namespace."""


def pool_name(cluster: str, md_name: str) -> str:
    """``<cluster>-<pool>-md`` -> ``<pool>``; any other MachineDeployment name is shown as is."""
    prefix, suffix = f"{cluster}-", "-md"
    if md_name.startswith(prefix) and md_name.endswith(suffix) and len(md_name) > len(prefix) + len(suffix):
        return md_name[len(prefix) : -len(suffix)]
    return md_name


def _conds(obj: JSON) -> list[JSON]:
    return [c.to_dict() for c in conditions(obj)]


def _status(c: Condition | None) -> str | None:
    return c.status if c is not None else None


def _release(rel: Release) -> JSON:
    return {
        "name": rel.name,
        "namespace": rel.namespace,
        "revision": rel.version,
        "status": rel.info.status.value,
        "description": rel.info.description,
    }


def _cluster(obj: JSON, cp: JSON | None) -> JSON:
    version = ""
    if cp is not None:
        version = str(dig(cp, "status", "version") or dig(cp, "spec", "version") or "")
    version = version or str(dig(obj, "spec", "topology", "version") or "")
    return {
        "kind": "Cluster",
        "apiVersion": obj.get("apiVersion", ""),
        "name": name_of(obj),
        "phase": str(dig(obj, "status", "phase") or ""),
        "deleting": deleting(obj),
        "paused": bool(dig(obj, "spec", "paused")),
        "version": version,
        "endpoint": endpoint(obj),
        "ready": _status(condition(obj, "Ready")),
        "available": _status(condition(obj, "Available")),
        "created": str(meta(obj, "creationTimestamp") or ""),
        "conditions": _conds(obj),
    }


def _control_plane(obj: JSON) -> JSON:
    r = replicas(obj)
    return {
        "kind": str(obj.get("kind", "KamajiControlPlane")),
        "apiVersion": obj.get("apiVersion", ""),
        "name": name_of(obj),
        "desired": r["desired"],
        "replicas": r["current"],
        "ready": r["ready"],
        "available": r["available"],
        "upToDate": r["upToDate"],
        "version": str(dig(obj, "status", "version") or dig(obj, "spec", "version") or ""),
        "endpoint": endpoint(obj),
        "dataStore": str(dig(obj, "spec", "dataStoreName") or ""),
        "initialized": kcp_initialized(obj),
        "isReady": bool(dig(obj, "status", "ready")),
        "deleting": deleting(obj),
        "conditions": _conds(obj),
    }


def _set_active(ms: JSON) -> bool:
    r = replicas(ms)
    return bool((r["desired"] or 0) > 0 or (r["current"] or 0) > 0)


def _rollout(md: JSON, sets: list[JSON]) -> JSON:
    """Whether machines built from an older template are still around, and how far the rollout got.

    Signals, in order: v1beta2 ``RollingOut=True``; ``MachinesUpToDate=False``; more than one
    MachineSet with machines; more machines than up-to-date ones. A plain scale-up is not a
    rollout (every existing machine is up to date).
    """
    r = replicas(md)
    desired = _desired(r)
    current, up = r["current"] or 0, r["upToDate"]
    active = [s for s in sets if _set_active(s)]
    rolling_cond = condition(md, "RollingOut")
    uptodate_cond = condition(md, "MachinesUpToDate")
    reasons: list[str] = []
    if rolling_cond is not None and rolling_cond.status == "True":
        reasons.append(rolling_cond.message or "RollingOut")
    if uptodate_cond is not None and uptodate_cond.status == "False":
        reasons.append(uptodate_cond.message or "machines not up to date")
    in_progress = bool(reasons) or len(active) > 1 or (up is not None and current > up)
    progress = f"{up if up is not None else '?'}/{desired if desired is not None else '?'} up to date"
    return {
        "inProgress": in_progress,
        "progress": progress if in_progress else "",
        "message": "; ".join(" ".join(m.split()) for m in reasons),
    }


def _desired(r: dict[str, int | None]) -> int | None:
    """``spec.replicas``, else (autoscaled pool, left to the autoscaler) the current count."""
    return r["desired"] if r["desired"] is not None else r["current"]


def _machine_deployment(md: JSON, sets: list[JSON]) -> JSON:
    r = replicas(md)
    infra, boot = template_refs(md)
    bounds = autoscaling(md)
    return {
        "kind": "MachineDeployment",
        "apiVersion": md.get("apiVersion", ""),
        "name": name_of(md),
        "phase": str(dig(md, "status", "phase") or ""),
        "deleting": deleting(md),
        "desired": _desired(r),
        "replicas": r["current"],
        "upToDate": r["upToDate"],
        "ready": r["ready"],
        "available": r["available"],
        "autoscaling": {"min": bounds[0], "max": bounds[1]} if bounds else None,
        "templates": {"infrastructure": infra, "bootstrap": boot},
        "rollout": _rollout(md, sets),
        "conditions": _conds(md),
    }


def _machine_set(ms: JSON, md: JSON | None) -> JSON:
    r = replicas(ms)
    infra, boot = template_refs(ms)
    current = md is not None and template_refs(md) == (infra, boot)
    return {
        "kind": "MachineSet",
        "apiVersion": ms.get("apiVersion", ""),
        "name": name_of(ms),
        "role": "new" if current else "old",
        "deleting": deleting(ms),
        "desired": r["desired"],
        "replicas": r["current"],
        "ready": r["ready"],
        "available": r["available"],
        "upToDate": r["upToDate"],
        "templates": {"infrastructure": infra, "bootstrap": boot},
        "created": str(meta(ms, "creationTimestamp") or ""),
        "conditions": _conds(ms),
    }


def _machine(m: JSON, infra: JSON | None) -> JSON:
    addresses = [
        {"type": str(a.get("type", "")), "address": str(a.get("address", ""))}
        for a in dig(m, "status", "addresses") or []
        if isinstance(a, dict) and a.get("address")
    ]
    iref = dig(m, "spec", "infrastructureRef")
    vmid = dig(infra, "spec", "virtualMachineID") if infra else None
    return {
        "kind": "Machine",
        "apiVersion": m.get("apiVersion", ""),
        "name": name_of(m),
        "machineSet": labels_of(m).get(SET_NAME_LABEL) or owner_name(m, "MachineSet"),
        "phase": str(dig(m, "status", "phase") or ""),
        "deleting": deleting(m),
        "nodeName": str(dig(m, "status", "nodeRef", "name") or ""),
        "addresses": addresses,
        "version": str(dig(m, "spec", "version") or ""),
        "providerID": str(dig(m, "spec", "providerID") or ""),
        "created": str(meta(m, "creationTimestamp") or ""),
        "infrastructure": {
            "kind": ref_kind(iref),
            "name": ref_name(iref),
            "found": infra is not None,
            "proxmoxNode": str(dig(infra, "status", "proxmoxNode") or "") if infra else "",
            "vmID": vmid if isinstance(vmid, int) else None,
            "vmStatus": str(dig(infra, "status", "vmStatus") or "") if infra else "",
            "conditions": _conds(infra) if infra else [],
        },
        "conditions": _conds(m),
    }


def _autoscaler(snap: Snapshot, namespace: str, targets: Targets) -> JSON | None:
    """The cluster's autoscaler Deployment: ready or not, and which image (so its minor shows)."""
    if not targets.autoscaler:
        return None
    dep = snap.get("Deployment", namespace, targets.autoscaler)
    if dep is None:
        return {
            "name": targets.autoscaler,
            "found": False,
            "ready": None,
            "desired": None,
            "image": "",
            "isReady": False,
            "conditions": [],
        }
    containers = dig(dep, "spec", "template", "spec", "containers") or []
    image = str(containers[0].get("image", "")) if containers and isinstance(containers[0], dict) else ""
    desired = dig(dep, "spec", "replicas")
    ready = dig(dep, "status", "readyReplicas") or 0
    return {
        "name": targets.autoscaler,
        "found": True,
        "ready": ready,
        "desired": desired if isinstance(desired, int) else 1,
        "image": image,
        "isReady": isinstance(desired, int) and ready >= desired > 0,
        "conditions": _conds(dep),
    }


def _belongs(obj: JSON, cluster: str) -> bool:
    return labels_of(obj).get(CLUSTER_NAME_LABEL) == cluster or dig(obj, "spec", "clusterName") == cluster


def _md_of(obj: JSON) -> str:
    return labels_of(obj).get(DEPLOYMENT_NAME_LABEL) or owner_name(obj, "MachineDeployment")


def describe_view(snap: Snapshot, namespace: str, release_name: str) -> JSON:
    """The describe tree of one release as a dict (see the module docstring)."""
    latest = snap.latest_releases(namespace, release_name)
    if not latest:
        raise ReleaseMissing(f"release {release_name!r} not found in namespace {namespace!r}")
    rel = latest[0]
    targets = release_targets(rel)
    out: JSON = {
        "release": _release(rel),
        "cluster": None,
        "controlPlane": None,
        "pools": [],
        "autoscaler": None,
        "problems": [],
    }
    if targets is None:
        out["problems"].append("the release manifest has no Cluster: nothing to describe")
        return out
    cl = snap.get("Cluster", namespace, targets.cluster)
    cp = snap.get(targets.control_plane_kind, namespace, targets.control_plane)
    if cl is None:
        out["problems"].append(f"Cluster {targets.cluster} not found (not created yet, or already deleted)")
    else:
        out["cluster"] = _cluster(cl, cp)
    if cp is None:
        out["problems"].append(f"{targets.control_plane_kind} {targets.control_plane} not found")
    else:
        out["controlPlane"] = _control_plane(cp)
    out["pools"] = _pools(snap, namespace, targets)
    out["autoscaler"] = _autoscaler(snap, namespace, targets)
    mds = [m for m in (snap.get("MachineDeployment", namespace, n) for n in targets.machine_deployments) if m]
    sets = [ms for ms in snap.items("MachineSet") if namespace_of(ms) == namespace and _belongs(ms, targets.cluster)]
    out["upgrading"] = upgrade_summary(cp, mds, sets)
    return out


def _pools(snap: Snapshot, namespace: str, targets: Targets) -> list[JSON]:
    mds = {name_of(o): o for o in snap.items("MachineDeployment") if namespace_of(o) == namespace}
    names = list(targets.machine_deployments)
    names += sorted(n for n, o in mds.items() if n not in names and _belongs(o, targets.cluster))
    sets_by_md: dict[str, list[JSON]] = defaultdict(list)
    for ms in snap.items("MachineSet"):
        if namespace_of(ms) == namespace and _belongs(ms, targets.cluster):
            sets_by_md[_md_of(ms)].append(ms)
    machines_by_md: dict[str, list[JSON]] = defaultdict(list)
    for m in snap.items("Machine"):
        if namespace_of(m) == namespace and _belongs(m, targets.cluster):
            machines_by_md[_md_of(m)].append(m)
    pools: list[JSON] = []
    for md_name in names:
        md = mds.get(md_name)
        sets = sorted(sets_by_md.get(md_name, []), key=lambda o: (str(meta(o, "creationTimestamp") or ""), name_of(o)))
        machines = sorted(machines_by_md.get(md_name, []), key=name_of)
        infra = [snap.get("ProxmoxMachine", namespace, ref_name(dig(m, "spec", "infrastructureRef"))) for m in machines]
        pools.append(
            {
                "name": pool_name(targets.cluster, md_name),
                "machineDeployment": _machine_deployment(md, sets) if md is not None else None,
                "missing": md is None,
                "machineSets": [_machine_set(s, md) for s in sets],
                "machines": [_machine(m, i) for m, i in zip(machines, infra, strict=True)],
            }
        )
    return pools


def _bounds(md: JSON | None) -> JSON:
    """``{"autoscaling": {"min", "max"}}`` for an autoscaled pool's status entry, else nothing."""
    b = autoscaling(md) if md is not None else None
    return {"autoscaling": {"min": b[0], "max": b[1]}} if b else {}


def status_rows(snap: Snapshot, releases: Iterable[Release]) -> list[JSON]:
    """One row per release that manages a Cluster; joins by index, O(objects + releases)."""
    mds_by_cluster: dict[tuple[str, str], list[JSON]] = defaultdict(list)
    for md in snap.items("MachineDeployment"):
        cname = labels_of(md).get(CLUSTER_NAME_LABEL) or str(dig(md, "spec", "clusterName") or "")
        mds_by_cluster[(namespace_of(md), cname)].append(md)
    rows: list[JSON] = []
    for rel in releases:
        targets = release_targets(rel)
        if targets is None:
            continue  # not a cluster release (another chart in the same namespace)
        ns = rel.namespace
        cl = snap.get("Cluster", ns, targets.cluster)
        cp = snap.get(targets.control_plane_kind, ns, targets.control_plane)
        mds = {name_of(m): m for m in mds_by_cluster.get((ns, targets.cluster), [])}
        names = list(targets.machine_deployments) + sorted(n for n in mds if n not in targets.machine_deployments)
        pools: list[JSON] = []
        for md_name in names:
            dep = mds.get(md_name)
            r = replicas(dep) if dep is not None else {}
            rollout = _rollout(dep, []) if dep is not None else {"inProgress": False, "progress": ""}
            pools.append(
                {
                    "name": pool_name(targets.cluster, md_name),
                    "ready": r.get("ready"),
                    "desired": _desired(r) if r else None,
                    "rollingOut": rollout["inProgress"],
                    "progress": rollout["progress"],
                    "missing": dep is None,
                    **_bounds(dep),
                }
            )
        cpv = _control_plane(cp) if cp is not None else None
        clv = _cluster(cl, cp) if cl is not None else None
        rows.append(
            {
                "namespace": ns,
                "release": rel.name,
                "revision": rel.version,
                "releaseStatus": rel.info.status.value,
                "cluster": targets.cluster,
                "found": cl is not None,
                "phase": clv["phase"] if clv else "",
                "deleting": bool(clv and clv["deleting"]),
                "version": (clv["version"] if clv else "") or (cpv["version"] if cpv else ""),
                "controlPlane": {
                    "ready": cpv["ready"] if cpv else None,
                    "desired": cpv["desired"] if cpv else None,
                    "isReady": cpv["isReady"] if cpv else False,
                },
                "pools": pools,
                "rollingOut": [p["name"] for p in pools if p["rollingOut"]],
                **({"autoscaler": auto} if (auto := _autoscaler(snap, ns, targets)) is not None else {}),
                "upgrading": upgrade_summary(cp, [mds[n] for n in targets.machine_deployments if n in mds]),
            }
        )
    return rows
