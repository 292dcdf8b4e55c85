"""API discovery: which versions of which kinds the management cluster serves.

A group's ``preferredVersion`` is the newest version of *any* CRD in the group, not of the kind we
render (``controlplane.cluster.x-k8s.io`` prefers KubeadmControlPlane's v1beta2 even when
KamajiControlPlane only has v1alpha1), so versions are chosen **per kind**: for each
``(group, plural)`` the caller lists the versions it can render in preference order, and the
first one the server serves for that plural wins.

Discovery costs one request when the server supports aggregated discovery (``GET /apis`` with
the ``apidiscovery.k8s.io`` v2/v2beta1 Accept header), else ``GET /apis`` plus one
``GET /apis/<group>/<version>`` per group/version actually needed. The core group (``/api``) is
asked only for a core kind the tool does not know already, the same way: one aggregated
``GET /api``, else ``GET /api/<version>``. A version the aggregated answer marks ``Stale`` (an
aggregated API server that did not answer in time) is fetched on its own. Results are cached on
the :class:`~.client.KubeClient`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .client import KubeClient
from .errors import NotFound

__all__ = [
    "APINotServed",
    "Discovery",
    "GroupNotServed",
    "KindNotServed",
    "KindRequest",
    "ResourceInfo",
    "choose_versions",
    "discovery",
    "version_sort_key",
]

_AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


@dataclass(frozen=True)
class ResourceInfo:
    """Where one kind lives in the API: enough to build its URL."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``group/version`` (``v1`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """Collection or object URL path; no namespace on a namespaced kind means all namespaces."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{name}"
        return base


@dataclass(frozen=True)
class KindRequest:
    """A kind the tool renders: candidate versions in preference order (best first).

    ``provider`` is the human name used in errors, e.g. ``"Cluster API core"``.
    """

    group: str
    plural: str
    candidates: tuple[str, ...]
    provider: str = ""
    kind: str = ""


class APINotServed(Exception):
    """A kind the tool needs is not served by the management cluster."""


class GroupNotServed(APINotServed):
    """No version of the API group is served: the provider is not installed."""

    def __init__(self, group: str, provider: str = "") -> None:
        self.group = group
        self.provider = provider
        who = provider or group
        super().__init__(f"{who} is not installed: no {group} API is served")


class KindNotServed(APINotServed):
    """The group is served but not this kind in any version the tool can render."""

    def __init__(self, req: KindRequest, served: list[str]) -> None:
        self.request = req
        self.served = served
        who = f"{req.provider}: " if req.provider else ""
        have = ", ".join(served) if served else "none"
        want = ", ".join(req.candidates)
        super().__init__(
            f"{who}{req.plural}.{req.group} is not served in a version this tool can render "
            f"(served: {have}; supported: {want})"
        )


def version_sort_key(version: str) -> tuple[int, int, int, str]:
    """Kubernetes version priority as a sort key: v2 > v1 > v1beta2 > v1alpha1 > other."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (0, 0, 0, version)
    major = int(m.group(1))
    stage = {"alpha": 1, "beta": 2, None: 3}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, major, minor, "")


# Core kinds the tool touches, so plain Secret/ConfigMap/Namespace work needs no discovery call.
_BUILTIN: tuple[ResourceInfo, ...] = (
    ResourceInfo("", "v1", "Secret", "secrets", True),
    ResourceInfo("", "v1", "ConfigMap", "configmaps", True),
    ResourceInfo("", "v1", "Namespace", "namespaces", False),
    ResourceInfo("", "v1", "ServiceAccount", "serviceaccounts", True),
    ResourceInfo("", "v1", "Service", "services", True),
    ResourceInfo("", "v1", "Event", "events", True),
    ResourceInfo("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False),
)


class Discovery:
    """Cached view of what the server serves; see :func:`discovery` for the shared instance."""

    def __init__(self, client: KubeClient) -> None:
        self._client = client
        # group -> version -> plural -> ResourceInfo; a version maps to None until fetched.
        self._groups: dict[str, dict[str, dict[str, ResourceInfo] | None]] | None = None
        self._core: dict[str, dict[str, ResourceInfo] | None] | None = None
        self._aggregated: bool | None = None  # whether the server answered /apis aggregated
        self._loaded_at = 0.0

    # -- loading
    def refresh(self) -> None:
        """Forget everything; the next lookup asks the server again (e.g. after CRD installs)."""
        self._groups = None
        self._core = None

    def _load(self) -> dict[str, dict[str, dict[str, ResourceInfo] | None]]:
        if self._groups is not None:
            return self._groups
        data = self._client.request("GET", "/apis", accept=_AGGREGATED_ACCEPT)
        groups: dict[str, dict[str, dict[str, ResourceInfo] | None]] = {}
        self._aggregated = data.get("kind") == "APIGroupDiscoveryList"
        if self._aggregated:
            for item in data.get("items") or []:
                groups[str((item.get("metadata") or {}).get("name", ""))] = _aggregated_versions(item)
        else:
            for g in data.get("groups") or []:
                groups[str(g.get("name", ""))] = {str(v.get("version", "")): None for v in g.get("versions") or []}
        self._groups = groups
        self._loaded_at = time.monotonic()
        return groups

    def _version_resources(self, group: str, version: str) -> dict[str, ResourceInfo]:
        groups = self._load()
        versions = groups.get(group, {})
        res = versions.get(version)
        if res is not None:
            return res
        try:
            data = self._client.request("GET", f"/apis/{group}/{version}")
        except NotFound:
            data = {}
        res = _resource_list(group, version, data)
        versions[version] = res
        return res

    # -- queries
    def served_versions(self, group: str) -> list[str]:
        """Versions of ``group`` the server serves (any kind), highest priority first."""
        return sorted(self._load().get(group, {}), key=version_sort_key, reverse=True)

    def versions_for(self, group: str, plural: str) -> list[str]:
        """Versions in which ``plural.group`` itself is served, highest priority first."""
        return [v for v in self.served_versions(group) if plural in self._version_resources(group, v)]

    def choose(self, req: KindRequest) -> ResourceInfo:
        """The first of ``req.candidates`` that serves ``req.plural``; typed error otherwise."""
        for attempt in range(2):
            groups = self._load()
            if req.group in groups:
                for cand in req.candidates:
                    if cand in groups[req.group]:
                        info = self._version_resources(req.group, cand).get(req.plural)
                        if info is not None:
                            return info
            if attempt == 0 and time.monotonic() - self._loaded_at > 1.0:
                self.refresh()  # stale cache: CRDs may have been installed since
                continue
            break
        if req.group not in self._load():
            raise GroupNotServed(req.group, req.provider)
        raise KindNotServed(req, self.versions_for(req.group, req.plural))

    def resolve(self, api_version: str, kind: str) -> ResourceInfo:
        """URL information for ``apiVersion``/``kind`` of a manifest (apply, get, delete)."""
        group, _, version = api_version.rpartition("/")
        for b in _BUILTIN:
            if b.group == group and b.version == version and b.kind == kind:
                return b
        for attempt in range(2):
            if group == "":
                res = self._core_resources(version)
            else:
                res = self._version_resources(group, version) if group in self._load() else {}
            for info in res.values():
                if info.kind == kind:
                    return info
            if attempt == 0 and time.monotonic() - self._loaded_at > 1.0:
                self.refresh()
                continue
            break
        if group and group not in self._load():
            raise GroupNotServed(group)
        raise APINotServed(f'no matches for kind "{kind}" in version "{api_version}"')

    def _core_resources(self, version: str) -> dict[str, ResourceInfo]:
        if self._core is None and self._aggregated is False:
            self._core = {}  # a server without aggregated /apis has none for /api either
        if self._core is None:
            data: dict[str, Any] = self._client.request("GET", "/api", accept=_AGGREGATED_ACCEPT)
            if data.get("kind") == "APIGroupDiscoveryList":
                self._core = {}
                for item in data.get("items") or []:
                    self._core.update(_aggregated_versions(item))
            else:
                self._core = {str(v): None for v in data.get("versions") or []}
        res = self._core.get(version)
        if res is None:
            try:
                listed: dict[str, Any] = self._client.request("GET", f"/api/{version}")
            except NotFound:
                listed = {}
            res = self._core[version] = _resource_list("", version, listed)
        return res


def _aggregated_versions(item: dict[str, Any]) -> dict[str, dict[str, ResourceInfo] | None]:
    """One group of an ``APIGroupDiscoveryList``: its versions with their kinds (``None`` if stale)."""
    group = str((item.get("metadata") or {}).get("name", ""))
    versions: dict[str, dict[str, ResourceInfo] | None] = {}
    for v in item.get("versions") or []:
        ver = str(v.get("version", ""))
        if v.get("freshness") == "Stale":
            versions[ver] = None  # fetched on its own when needed
            continue
        versions[ver] = {
            str(r["resource"]): ResourceInfo(
                group=group,
                version=ver,
                kind=str((r.get("responseKind") or {}).get("kind", "")),
                plural=str(r["resource"]),
                namespaced=r.get("scope") == "Namespaced",
                verbs=tuple(r.get("verbs") or ()),
            )
            for r in v.get("resources") or []
            if "resource" in r
        }
    return versions


def _resource_list(group: str, version: str, data: dict[str, Any]) -> dict[str, ResourceInfo]:
    """The kinds of an ``APIResourceList`` (``GET /apis/<group>/<version>``), subresources left out."""
    res: dict[str, ResourceInfo] = {}
    for r in data.get("resources") or []:
        name = str(r.get("name", ""))
        if not name or "/" in name:
            continue  # subresource
        res[name] = ResourceInfo(
            group=group,
            version=version,
            kind=str(r.get("kind", "")),
            plural=name,
            namespaced=bool(r.get("namespaced")),
            verbs=tuple(r.get("verbs") or ()),
        )
    return res


def discovery(client: KubeClient) -> Discovery:
    """The :class:`Discovery` cached on ``client`` (created on first use)."""
    d = client.discovery_cache.get("discovery")
    if not isinstance(d, Discovery):
        d = Discovery(client)
        client.discovery_cache["discovery"] = d
    return d


def choose_versions(client: KubeClient, requests: Iterable[KindRequest]) -> dict[tuple[str, str], ResourceInfo]:
    """Pick a served version per ``(group, plural)``; raises on the first missing kind."""
    d = discovery(client)
    return {(r.group, r.plural): d.choose(r) for r in requests}
