"""What the observe commands read from the management cluster, and how.

Every command reads through :class:`Query` objects: one LIST per kind and scope (a namespace, or
all namespaces), never one request per cluster, then joins in memory. That keeps ``status`` at a
constant request count for any number of clusters, and lets ``--watch`` reuse the same queries as
WATCH requests starting at the resourceVersion each LIST returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..kube.apply import WatchEvent, watch
from ..kube.client import KubeClient
from ..kube.discovery import APINotServed, KindRequest, ResourceInfo, discovery
from ..release.record import DecodeError, Release, decode_secret_data
from ..render.apis import CONTROLPLANE, CORE, INFRA
from .fields import name_of, namespace_of

__all__ = [
    "OBSERVED_KINDS",
    "RELEASES",
    "Query",
    "Snapshot",
    "release_from_secret",
    "resolve_kinds",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
RELEASES = "Release"  # pseudo-kind: Helm release records (Secrets labelled owner=helm)
_SECRETS = ResourceInfo("", "v1", "Secret", "secrets", True)


@dataclass(frozen=True)
class ObservedKind:
    """A kind the observe commands read; ``required`` kinds fail the command when not served."""

    kind: str
    group: str
    plural: str
    versions: tuple[str, ...]
    provider: str
    required: bool = False


OBSERVED_KINDS: dict[str, ObservedKind] = {
    k.kind: k
    for k in (
        ObservedKind("Cluster", CORE, "clusters", ("v1beta2", "v1beta1"), "Cluster API core", True),
        ObservedKind("MachineDeployment", CORE, "machinedeployments", ("v1beta2", "v1beta1"), "Cluster API core", True),
        ObservedKind("MachineSet", CORE, "machinesets", ("v1beta2", "v1beta1"), "Cluster API core"),
        ObservedKind("Machine", CORE, "machines", ("v1beta2", "v1beta1"), "Cluster API core"),
        ObservedKind(
            "KamajiControlPlane",
            CONTROLPLANE,
            "kamajicontrolplanes",
            ("v1alpha2", "v1alpha1"),
            "the Kamaji control-plane provider",
        ),
        ObservedKind("Deployment", "apps", "deployments", ("v1",), "the Kubernetes apps API"),
        ObservedKind(
            "ProxmoxMachine",
            INFRA,
            "proxmoxmachines",
            ("v1alpha2", "v1alpha1"),
            "the Proxmox infrastructure provider (CAPMOX)",
        ),
    )
}


def resolve_kinds(client: KubeClient, kinds: Iterable[str]) -> dict[str, ResourceInfo | None]:
    """The served version of each kind, chosen per kind (newest this tool understands).

    A missing optional kind maps to None (its part of the view stays empty); a missing required
    kind raises :class:`~capi_kamaji_proxmox.kube.discovery.APINotServed` with the provider's name.
    """
    d = discovery(client)
    out: dict[str, ResourceInfo | None] = {}
    for kind in kinds:
        k = OBSERVED_KINDS[kind]
        try:
            out[kind] = d.choose(KindRequest(k.group, k.plural, k.versions, k.provider, k.kind))
        except APINotServed:
            if k.required:
                raise
            out[kind] = None
    return out


def release_from_secret(secret: JSON) -> Release | None:
    """Decode a Helm release Secret; None for records helm itself would skip."""
    data = (secret.get("data") or {}).get("release")
    if not data:
        return None
    try:
        rel = decode_secret_data(str(data))
    except DecodeError as e:
        log.debug("skipping undecodable release record %s: %s", name_of(secret), e)
        return None
    if not rel.namespace:
        rel.namespace = namespace_of(secret)
    return rel


@dataclass(frozen=True)
class Query:
    """One LIST (and later WATCH) request: a kind in one namespace (None = all), optionally narrowed."""

    kind: str
    namespace: str | None
    label_selector: str | None = None
    name: str | None = None  # one object, by field selector

    def params(self) -> dict[str, str]:
        p: dict[str, str] = {}
        if self.label_selector:
            p["labelSelector"] = self.label_selector
        if self.name:
            p["fieldSelector"] = f"metadata.name={self.name}"
        return p


def _key(obj: JSON) -> tuple[str, str]:
    return namespace_of(obj), name_of(obj)


@dataclass
class Snapshot:
    """Objects by kind and (namespace, name), as last listed or watched; releases decoded."""

    infos: dict[str, ResourceInfo | None]
    objects: dict[str, dict[tuple[str, str], JSON]] = field(default_factory=dict)
    releases: dict[tuple[str, str], Release] = field(default_factory=dict)  # key: (ns, secret name)
    resource_versions: dict[Query, str] = field(default_factory=dict)

    def items(self, kind: str) -> list[JSON]:
        return list(self.objects.get(kind, {}).values())

    def get(self, kind: str, namespace: str, name: str) -> JSON | None:
        return self.objects.get(kind, {}).get((namespace, name))

    def api_version(self, kind: str) -> str:
        info = self.infos.get(kind)
        return info.api_version if info is not None else ""

    # -- loading
    def _info(self, kind: str) -> ResourceInfo | None:
        return _SECRETS if kind == RELEASES else self.infos.get(kind)

    def load(self, client: KubeClient, query: Query) -> None:
        """One LIST request; replaces what the snapshot held for the query's kind and scope."""
        info = self._info(query.kind)
        if info is None:
            self.objects.setdefault(query.kind, {})
            return
        data = client.request("GET", info.path(query.namespace), params=query.params())
        self.resource_versions[query] = str((data.get("metadata") or {}).get("resourceVersion") or "")
        items = data.get("items") or []
        if query.kind == RELEASES:
            self.releases = {
                k: v for k, v in self.releases.items() if query.namespace is not None and k[0] != query.namespace
            }
            for item in items:
                self.apply(query.kind, "ADDED", item)
            return
        store = self.objects.setdefault(query.kind, {})
        # forget what this query covers; its objects come back with the list
        for key in [k for k in store if query.namespace in (None, k[0]) and query.name in (None, k[1])]:
            del store[key]
        for item in items:
            self.apply(query.kind, "ADDED", item)

    def apply(self, kind: str, event_type: str, obj: JSON) -> bool:
        """Apply one watch event; True when the snapshot changed."""
        if event_type in ("BOOKMARK", "ERROR"):
            return False
        key = _key(obj)
        if kind == RELEASES:
            if event_type == "DELETED":
                return self.releases.pop(key, None) is not None
            rel = release_from_secret(obj)
            if rel is None:
                return False
            self.releases[key] = rel
            return True
        info = self.infos.get(kind)
        if info is not None:
            obj.setdefault("apiVersion", info.api_version)
            obj.setdefault("kind", info.kind)
        store = self.objects.setdefault(kind, {})
        if event_type == "DELETED":
            return store.pop(key, None) is not None
        store[key] = obj
        return True

    def watch(
        self,
        client: KubeClient,
        query: Query,
        *,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
    ) -> Iterator[WatchEvent]:
        """WATCH the query from ``resource_version`` (default: where its LIST left off)."""
        info = self._info(query.kind)
        if info is None:
            return iter(())
        return watch(
            client,
            info.api_version,
            info.kind,
            namespace=query.namespace,
            all_namespaces=query.namespace is None,
            label_selector=query.label_selector,
            name=query.name,
            resource_version=resource_version or self.resource_versions.get(query) or None,
            timeout_seconds=timeout_seconds,
        )

    # -- releases
    def latest_releases(self, namespace: str | None = None, name: str | None = None) -> list[Release]:
        """Highest revision per release (what ``helm list`` shows), optionally filtered."""
        best: dict[tuple[str, str], Release] = {}
        for rel in self.releases.values():
            if namespace is not None and rel.namespace != namespace:
                continue
            if name is not None and rel.name != name:
                continue
            key = (rel.namespace, rel.name)
            if key not in best or rel.version > best[key].version:
                best[key] = rel
        return sorted(best.values(), key=lambda r: (r.namespace, r.name))


@dataclass(frozen=True)
class Targets:
    """What a release created, read from its stored manifest."""

    cluster: str
    control_plane: str
    control_plane_kind: str
    machine_deployments: tuple[str, ...]
    autoscaler: str = ""  # the cluster's autoscaler Deployment, when the release runs one


_DOC_SPLIT = re.compile(r"(?m)^---[ \t]*(?:#.*)?$")
_WANTED_KIND = re.compile(
    r"(?m)^kind:[ \t]*[\"']?(Cluster|KamajiControlPlane|MachineDeployment|Deployment)[\"']?[ \t]*$"
)
AUTOSCALER_LABEL = ("app.kubernetes.io/name", "cluster-autoscaler")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TARGETS_CACHE: dict[tuple[str, str, int, int], Targets | None] = {}


def _wanted_objects(manifest: str) -> list[JSON]:
    """Only the documents ``release_targets`` needs, parsed with libyaml when available.

    A release manifest holds ~10 documents; parsing all of them with the pure-Python loader
    dominated ``status`` for large fleets, so other kinds are skipped by a top-level ``kind:`` check.
    """
    out: list[JSON] = []
    for chunk in _DOC_SPLIT.split(manifest):
        if not _WANTED_KIND.search(chunk):
            continue
        obj = yaml.load(chunk, Loader=_Loader)  # _Loader is CSafeLoader or SafeLoader: safe
        if isinstance(obj, dict):
            out.append(obj)
    return out


def release_targets(release: Release) -> Targets | None:
    """The Cluster (and its control plane and pools) a release manages; None if it has no Cluster.

    The cluster name comes from the manifest, not the release name: they differ whenever the
    values set ``cluster.name``. A revision never changes, so the answer is cached per revision.
    """
    key = (release.namespace, release.name, release.version, len(release.manifest))
    if key not in _TARGETS_CACHE:
        if len(_TARGETS_CACHE) > 10_000:
            _TARGETS_CACHE.clear()
        _TARGETS_CACHE[key] = _targets(release)
    return _TARGETS_CACHE[key]


def _targets(release: Release) -> Targets | None:
    try:
        objs = _wanted_objects(release.manifest)
    except yaml.YAMLError:  # a hand-edited or foreign record: not one of ours
        return None
    cluster = next((o for o in objs if o.get("kind") == "Cluster" and _is_capi(o)), None)
    if cluster is None:
        return None
    cname = str((cluster.get("metadata") or {}).get("name") or "")
    cp_ref = (cluster.get("spec") or {}).get("controlPlaneRef") or {}
    kcp = next((o for o in objs if o.get("kind") == "KamajiControlPlane"), None)
    cp_name = str(cp_ref.get("name") or (name_of(kcp) if kcp else "") or cname)
    cp_kind = str(cp_ref.get("kind") or "KamajiControlPlane")
    mds = tuple(name_of(o) for o in objs if o.get("kind") == "MachineDeployment" and _is_capi(o))
    key, value = AUTOSCALER_LABEL
    autoscaler = next(
        (
            name_of(o)
            for o in objs
            if o.get("kind") == "Deployment" and ((o.get("metadata") or {}).get("labels") or {}).get(key) == value
        ),
        "",
    )
    return Targets(cname, cp_name, cp_kind, mds, autoscaler)


def _is_capi(obj: JSON) -> bool:
    return str(obj.get("apiVersion", "")).startswith(f"{CORE}/")
