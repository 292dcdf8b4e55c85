"""Checks of the add-on keys and the Cluster labels that no single field can express."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from capi_kamaji_proxmox.values import fast
from capi_kamaji_proxmox.values.labels import label_problems

if TYPE_CHECKING:  # annotations only: a valid template never loads the pydantic models
    from capi_kamaji_proxmox.values.addons_model import CNIAddon
    from capi_kamaji_proxmox.values.model import Values


def cni_backend(cni: CNIAddon) -> Literal["caaph", "crs"]:
    """``backend`` as given; unset means crs when a manifest is supplied, else caaph. (A function, not a
    model property: the values' fast path builds plain twins of the models, without methods.)"""
    if cni.backend is not None:
        return cni.backend
    return "crs" if cni.manifest is not None else "caaph"


CONFIGMAP_LIMIT = 1024 * 1024  # bytes: the API server refuses a larger ConfigMap (etcd's object limit)
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
CNI_NAME = "cni"  # the CNI add-on's object name suffix; an extra add-on may not take it


def _manifest_pools(docs: list[Any]) -> Iterator[str]:
    """Pod address pools a Calico or Cilium manifest sets, where they can be read."""
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        kind, spec = doc.get("kind"), doc.get("spec") or {}
        if kind == "IPPool" and isinstance(spec, dict) and spec.get("cidr"):
            yield str(spec["cidr"])
        elif kind == "Installation" and isinstance(spec, dict):
            for pool in (spec.get("calicoNetwork") or {}).get("ipPools") or []:
                if isinstance(pool, dict) and pool.get("cidr"):
                    yield str(pool["cidr"])
        elif kind == "ConfigMap" and (doc.get("metadata") or {}).get("name") == "cilium-config":
            yield from str((doc.get("data") or {}).get("cluster-pool-ipv4-cidr") or "").split()
        elif kind == "DaemonSet":
            containers = (((spec.get("template") or {}).get("spec") or {}).get("containers")) or []
            for c in containers:
                for env in (c.get("env") or []) if isinstance(c, dict) else []:
                    if isinstance(env, dict) and env.get("name") == "CALICO_IPV4POOL_CIDR" and env.get("value"):
                        yield str(env["value"])


def _inside(cidr: str, blocks: list[str]) -> bool | None:
    """Is ``cidr`` inside one of ``blocks``? None when either side is unreadable."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
        nets = [ipaddress.ip_network(b, strict=False) for b in blocks]
    except ValueError:
        return None
    return any(net.version == b.version and net.subnet_of(b) for b in nets)  # type: ignore[arg-type]


def _manifest_checks(manifest: str, pods: list[str], problems: list[str], warnings: list[str]) -> None:
    key = "addons.cni.manifest"
    size = len(manifest.encode("utf-8"))
    if size > CONFIGMAP_LIMIT:
        problems.append(
            f"{key}: {size} bytes ({size / CONFIGMAP_LIMIT:.2f} MiB) is over the {CONFIGMAP_LIMIT} bytes (1 MiB) "
            "a ConfigMap can hold; use backend caaph (a Helm chart) or a smaller manifest"
        )
        return
    import yaml  # only a CNI manifest needs it: values without one are checked without PyYAML

    try:
        docs = list(yaml.safe_load_all(manifest))
    except yaml.YAMLError as exc:
        problems.append(f"{key}: not a YAML manifest ({str(exc).splitlines()[0]})")
        return
    if not any(isinstance(d, dict) and d.get("kind") for d in docs):
        problems.append(f"{key}: holds no Kubernetes object (no document with a kind)")
        return
    for cidr in _manifest_pools(docs):
        if _inside(cidr, pods) is False:
            warnings.append(
                f"{key}: the manifest's pod pool {cidr} is not inside the cluster's pod CIDR "
                f"cluster.clusterNetwork.pods.cidrBlocks {pods}; pods would get addresses the cluster does not route"
            )


def addon_problems(values: Values, warnings: list[str]) -> list[str]:
    """Problems of ``cluster.labels`` and ``addons``; warnings are appended to ``warnings``."""
    problems: list[str] = []
    cluster = values.cluster or fast.make("ClusterValues")
    problems += label_problems("cluster.labels", cluster.labels)
    if cluster.labels and CLUSTER_NAME_LABEL in cluster.labels:
        problems.append(f"cluster.labels: {CLUSTER_NAME_LABEL} is set by Cluster API and by this tool; remove it")
    addons = values.addons
    if addons is None:
        return problems
    cni = addons.cni
    if cni is not None:
        given = cni.model_dump(exclude_none=True)
        if cni.provider is None and given:
            problems.append("addons.cni.provider: required key is missing (calico, cilium or none)")
        elif cni.provider not in (None, "none"):
            if cni_backend(cni) == "crs":
                if cni.manifest is None:
                    problems.append(
                        "addons.cni.manifest: required with backend crs; pass --set-file addons.cni.manifest=FILE"
                    )
                else:
                    net = cluster.cluster_network
                    pods = list((net.pods.cidr_blocks if net and net.pods else None) or [])
                    _manifest_checks(cni.manifest, pods, problems, warnings)
                for k in ("values", "version"):
                    if getattr(cni, k) is not None:
                        problems.append(
                            f"addons.cni.{k}: only used with backend caaph (crs applies the manifest as is)"
                        )
            elif cni.manifest is not None:
                problems.append("addons.cni.manifest: only used with backend crs; set addons.cni.backend=crs")
    seen: dict[str, int] = {}
    for i, extra in enumerate(addons.extra or []):
        if extra.name in seen:
            problems.append(
                f"addons.extra[{i}].name: {extra.name!r} is already the name of addons.extra[{seen[extra.name]}]"
            )
        seen.setdefault(extra.name, i)
        if extra.name == CNI_NAME:
            problems.append(f"addons.extra[{i}].name: {CNI_NAME!r} is reserved for addons.cni")
        if not extra.repo_url.startswith(("https://", "http://", "oci://")):
            problems.append(
                f"addons.extra[{i}].repoURL: expected an https://, http:// or oci:// URL, got {extra.repo_url!r}"
            )
    return problems
