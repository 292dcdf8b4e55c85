"""Verbs on plain manifest dicts: server-side apply, get, list, delete, watch.

Rendered objects are dicts with any apiVersion/kind (mostly CRDs), so everything here works on
dicts and resolves URLs through :mod:`.discovery`. Apply is always server-side with one field
manager and ``fieldValidation=Strict``: an unknown field is a rendering bug and must fail loudly
instead of being pruned silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .client import KubeClient
from .discovery import ResourceInfo, discovery
from .errors import NotFound

__all__ = [
    "ObjectRef",
    "WatchEvent",
    "apply",
    "delete",
    "get",
    "list_objects",
    "selector_string",
    "watch",
]

JSON = dict[str, Any]


@dataclass(frozen=True)
class ObjectRef:
    """Identifies one object: apiVersion, kind, name and (for namespaced kinds) namespace."""

    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def from_manifest(cls, obj: Mapping[str, Any]) -> ObjectRef:
        """Reference to the object a manifest describes."""
        meta = obj.get("metadata") or {}
        try:
            return cls(
                api_version=str(obj["apiVersion"]),
                kind=str(obj["kind"]),
                name=str(meta["name"]),
                namespace=meta.get("namespace"),
            )
        except KeyError as e:
            raise ValueError(f"manifest lacks {e.args[0]}: {_describe(obj)}") from e

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


@dataclass(frozen=True)
class WatchEvent:
    """One watch event: ``ADDED``, ``MODIFIED``, ``DELETED`` or ``BOOKMARK`` and the object."""

    type: str
    object: JSON


def _describe(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind', '?')} {meta.get('name', '?')}"


def selector_string(selector: str | Mapping[str, str] | None) -> str | None:
    """``{"a": "b"}`` -> ``"a=b"``; strings pass through (set-based syntax allowed)."""
    if selector is None or isinstance(selector, str):
        return selector or None
    return ",".join(f"{k}={v}" for k, v in selector.items()) or None


def _info(client: KubeClient, api_version: str, kind: str) -> ResourceInfo:
    return discovery(client).resolve(api_version, kind)


def _ns(client: KubeClient, info: ResourceInfo, namespace: str | None) -> str | None:
    if not info.namespaced:
        return None
    return namespace or client.namespace


def apply(
    client: KubeClient,
    obj: Mapping[str, Any],
    *,
    force: bool = False,
    dry_run: bool = False,
    field_manager: str | None = None,
    namespace: str | None = None,
) -> JSON:
    """Server-side apply ``obj``; return the object as the server stored (or would store) it.

    ``namespace`` fills in a missing ``metadata.namespace`` on namespaced kinds (default: the
    client's namespace). ``force`` takes over fields owned by other managers
    (``--force-conflicts``); ``dry_run`` sends ``dryRun=All`` so nothing is persisted.
    Raises :class:`~.errors.ApplyConflict` (fields + other managers), ``Invalid`` (422),
    ``BadRequest`` (400, e.g. strict field validation), ``Forbidden``, ``NotFound``.
    """
    ref = ObjectRef.from_manifest(obj)
    info = _info(client, ref.api_version, ref.kind)
    ns = _ns(client, info, ref.namespace or namespace)
    body: JSON = json.loads(json.dumps(obj))  # deep copy, JSON-clean
    if ns is not None:
        body["metadata"]["namespace"] = ns
    else:
        body["metadata"].pop("namespace", None)
    params = {
        "fieldManager": field_manager or client.field_manager,
        "fieldValidation": "Strict",
    }
    if force:
        params["force"] = "true"
    if dry_run:
        params["dryRun"] = "All"
    return client.request(
        "PATCH",
        info.path(ns, ref.name),
        params=params,
        body=json.dumps(body).encode(),
        content_type="application/apply-patch+yaml",
        apply=True,
    )


def get(client: KubeClient, ref: ObjectRef) -> JSON:
    """Read one object; raises :class:`~.errors.NotFound`."""
    info = _info(client, ref.api_version, ref.kind)
    return client.request("GET", info.path(_ns(client, info, ref.namespace), ref.name))


def delete(
    client: KubeClient,
    ref: ObjectRef,
    *,
    propagation: str = "Background",
    dry_run: bool = False,
    missing_ok: bool = False,
) -> bool:
    """Delete one object; ``False`` if it was already gone and ``missing_ok``."""
    info = _info(client, ref.api_version, ref.kind)
    params = {"propagationPolicy": propagation}
    if dry_run:
        params["dryRun"] = "All"
    try:
        client.request("DELETE", info.path(_ns(client, info, ref.namespace), ref.name), params=params)
    except NotFound:
        if missing_ok:
            return False
        raise
    return True


def list_objects(
    client: KubeClient,
    api_version: str,
    kind: str,
    *,
    namespace: str | None = None,
    all_namespaces: bool = False,
    label_selector: str | Mapping[str, str] | None = None,
    limit: int | None = None,
) -> list[JSON]:
    """All objects of a kind (one request per ``limit``-sized page; no limit = one request).

    Items get ``apiVersion``/``kind`` filled in (the API omits them inside lists).
    """
    info = _info(client, api_version, kind)
    ns = None if all_namespaces else _ns(client, info, namespace)
    params: dict[str, str] = {}
    sel = selector_string(label_selector)
    if sel:
        params["labelSelector"] = sel
    if limit:
        params["limit"] = str(limit)
    out: list[JSON] = []
    while True:
        data = client.request("GET", info.path(ns), params=params)
        for item in data.get("items") or []:
            item.setdefault("apiVersion", info.api_version)
            item.setdefault("kind", info.kind)
            out.append(item)
        cont = (data.get("metadata") or {}).get("continue")
        if not cont:
            return out
        params["continue"] = str(cont)


def watch(
    client: KubeClient,
    api_version: str,
    kind: str,
    *,
    namespace: str | None = None,
    all_namespaces: bool = False,
    label_selector: str | Mapping[str, str] | None = None,
    name: str | None = None,
    resource_version: str | None = None,
    timeout_seconds: int | None = None,
) -> Iterator[WatchEvent]:
    """Yield watch events until the server ends the watch (``timeout_seconds``) or the caller
    stops iterating. ``name`` watches one object. Raises the typed error if the server sends an
    ``ERROR`` event (e.g. :class:`~.errors.Gone` for an expired resourceVersion)."""
    from .errors import error_from_response

    info = _info(client, api_version, kind)
    ns = None if all_namespaces else _ns(client, info, namespace)
    params: dict[str, str] = {"watch": "true", "allowWatchBookmarks": "true"}
    sel = selector_string(label_selector)
    if sel:
        params["labelSelector"] = sel
    if name:
        params["fieldSelector"] = f"metadata.name={name}"
    if resource_version:
        params["resourceVersion"] = resource_version
    if timeout_seconds is not None:
        params["timeoutSeconds"] = str(timeout_seconds)
    path = info.path(ns)
    with client.stream("GET", path, params=params) as resp:
        for line in resp.iter_lines():
            if not line.strip():
                continue
            ev = json.loads(line)
            obj = ev.get("object") or {}
            if ev.get("type") == "ERROR":
                raise error_from_response(
                    int(obj.get("code") or 500), json.dumps(obj).encode(), method="GET", path=path
                )
            yield WatchEvent(type=str(ev.get("type")), object=obj)
