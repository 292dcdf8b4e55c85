"""Helm's Secrets storage driver, over the tool's Kubernetes client.

One Secret per revision (``sh.helm.release.v1.<name>.v<N>``, type ``helm.sh/release.v1``) in
the release namespace, labelled ``owner=helm,name,status,version`` so that helm's label
selectors find it. The labels must agree with the JSON: helm selects by label, then trusts the
JSON.

Concurrency: ``create`` is a plain POST, so of two writers racing for the same revision exactly
one wins and the other gets :class:`ReleaseExists` (helm uses the same optimistic lock).
``update`` sends the resourceVersion it read, so a concurrent change makes it fail with
:class:`ReleaseConflict` instead of silently overwriting (helm itself replaces blindly).
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..kube.client import KubeClient
from ..kube.errors import AlreadyExists, Conflict, NotFound
from .record import DecodeError, Release, Status, decode_secret_data, encode_secret_data

__all__ = [
    "MAX_RECORD_BYTES",
    "SECRET_TYPE",
    "SYSTEM_LABELS",
    "NoDeployedRelease",
    "ReleaseConflict",
    "ReleaseExists",
    "ReleaseNotFound",
    "ReleaseTooLarge",
    "SecretStorage",
    "StorageError",
    "latest_per_release",
    "secret_labels",
]

log = logging.getLogger(__name__)

SECRET_TYPE = "helm.sh/release.v1"
SYSTEM_LABELS = frozenset({"name", "owner", "status", "version", "createdAt", "modifiedAt"})
MAX_RECORD_BYTES = 1024 * 1024  # Kubernetes' cap on Secret data


class StorageError(Exception):
    """Base class for release storage failures."""


class ReleaseExists(StorageError):
    """The revision already exists: another install/upgrade won the race for this number."""

    def __init__(self, name: str, version: int, namespace: str) -> None:
        self.name, self.version, self.namespace = name, version, namespace
        super().__init__(f"release {name!r} revision {version} already exists in {namespace!r}")


class ReleaseConflict(StorageError):
    """The record changed since it was read (resourceVersion mismatch)."""

    def __init__(self, name: str, version: int, namespace: str, detail: str = "") -> None:
        self.name, self.version, self.namespace = name, version, namespace
        super().__init__(
            f"release {name!r} revision {version} in {namespace!r} was modified concurrently"
            + (f": {detail}" if detail else "")
        )


class ReleaseNotFound(StorageError):
    """No such release (or revision) in the namespace."""


class NoDeployedRelease(ReleaseNotFound):
    """The release exists but no revision is ``deployed``."""


class ReleaseTooLarge(StorageError):
    """The encoded record exceeds what a Secret can hold."""


def secret_labels(release: Release, *, created_at: str | None = None) -> dict[str, str]:
    """Labels helm expects: custom labels, then ``name/owner/status/version`` (+ timestamp)."""
    labels = {k: v for k, v in release.labels.items() if k not in SYSTEM_LABELS}
    labels.update(
        {
            "name": release.name,
            "owner": "helm",
            "status": release.info.status.value,
            "version": str(release.version),
        }
    )
    if created_at is not None:
        labels["createdAt"] = created_at
    return labels


def latest_per_release(releases: Iterable[Release]) -> list[Release]:
    """Highest revision per (namespace, name), sorted by name: what ``helm list`` shows."""
    best: dict[tuple[str, str], Release] = {}
    for r in releases:
        key = (r.namespace, r.name)
        if key not in best or r.version > best[key].version:
            best[key] = r
    return sorted(best.values(), key=lambda r: (r.name, r.namespace))


class SecretStorage:
    """Release records of one namespace (``list`` can span all namespaces)."""

    def __init__(self, client: KubeClient, namespace: str | None = None) -> None:
        self.client = client
        self.namespace = namespace or client.namespace

    # -- helpers
    def _path(self, name: str | None = None, namespace: str | None = None) -> str:
        ns = namespace or self.namespace
        base = f"/api/v1/namespaces/{ns}/secrets"
        return f"{base}/{name}" if name else base

    def _from_secret(self, secret: Mapping[str, Any]) -> Release:
        data = (secret.get("data") or {}).get("release")
        meta = secret.get("metadata") or {}
        if not data:
            raise DecodeError(f"Secret {meta.get('name')} has no data.release")
        rel = decode_secret_data(str(data))
        labels: dict[str, str] = dict(meta.get("labels") or {})
        rel.labels = {k: v for k, v in labels.items() if k not in SYSTEM_LABELS}
        rel.annotations = dict(meta.get("annotations") or {})
        rel.resource_version = meta.get("resourceVersion")
        rel._created_at = labels.get("createdAt")
        if not rel.namespace:
            rel.namespace = str(meta.get("namespace") or self.namespace)
        return rel

    def _secret(self, release: Release, labels: dict[str, str]) -> dict[str, Any]:
        data = encode_secret_data(release)
        if len(data) * 3 // 4 > MAX_RECORD_BYTES:
            raise ReleaseTooLarge(
                f"release {release.name!r} revision {release.version} encodes to about "
                f"{len(data) * 3 // 4} bytes; a Secret holds at most {MAX_RECORD_BYTES}"
            )
        meta: dict[str, Any] = {
            "name": release.key,
            "namespace": release.namespace,
            "labels": labels,
        }
        if release.annotations:
            meta["annotations"] = dict(release.annotations)
        if release.resource_version:
            meta["resourceVersion"] = release.resource_version
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": meta,
            "type": SECRET_TYPE,
            "data": {"release": data},
        }

    def _query(self, selector: str, *, all_namespaces: bool = False) -> list[Release]:
        path = "/api/v1/secrets" if all_namespaces else self._path()
        items = self.client.request("GET", path, params={"labelSelector": selector}).get("items")
        out = []
        for item in items or []:
            try:
                out.append(self._from_secret(item))
            except DecodeError as e:  # helm skips undecodable records too
                log.debug(
                    "skipping undecodable release record %s: %s",
                    (item.get("metadata") or {}).get("name"),
                    e,
                )
        return sorted(out, key=lambda r: (r.namespace, r.name, r.version))

    def _check(self, release: Release) -> None:
        if not release.namespace:
            release.namespace = self.namespace
        elif release.namespace != self.namespace:
            raise ValueError(
                f"release namespace {release.namespace!r} differs from storage namespace {self.namespace!r}"
            )

    # -- reads
    def get(self, name: str, revision: int) -> Release:
        """One revision; raises :class:`ReleaseNotFound`."""
        try:
            secret = self.client.request("GET", self._path(f"sh.helm.release.v1.{name}.v{revision}"))
        except NotFound as e:
            raise ReleaseNotFound(f"release {name!r} revision {revision} not found in {self.namespace!r}") from e
        return self._from_secret(secret)

    def history(self, name: str) -> list[Release]:
        """All revisions of ``name``, oldest first (empty if none)."""
        return self._query(f"name={name},owner=helm")

    def last(self, name: str) -> Release:
        """Highest revision; raises :class:`ReleaseNotFound` if the release has no records."""
        hist = self.history(name)
        if not hist:
            raise ReleaseNotFound(f"release {name!r} not found in namespace {self.namespace!r}")
        return hist[-1]

    def deployed_all(self, name: str) -> list[Release]:
        """Revisions labelled ``deployed``, newest first (normally one)."""
        recs = self._query(f"name={name},owner=helm,status=deployed")
        return sorted((r for r in recs if r.status is Status.DEPLOYED), key=lambda r: -r.version)

    def deployed(self, name: str) -> Release:
        """The deployed revision; raises :class:`NoDeployedRelease`."""
        recs = self.deployed_all(name)
        if not recs:
            raise NoDeployedRelease(f"{name!r} has no deployed releases")
        return recs[0]

    def list(
        self,
        *,
        all_namespaces: bool = False,
        statuses: Iterable[Status | str] | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> builtins.list[Release]:
        """Every revision of every release (``owner=helm``), optionally filtered by status and
        custom labels. Use :func:`latest_per_release` for what ``helm list`` shows."""
        parts = ["owner=helm"]
        wanted = sorted({Status(s).value for s in statuses}) if statuses is not None else None
        if wanted is not None:
            if not wanted:
                return []
            parts.append(f"status in ({','.join(wanted)})")
        for k, v in (selector or {}).items():
            parts.append(f"{k}={v}")
        recs = self._query(",".join(parts), all_namespaces=all_namespaces)
        if wanted is not None:
            recs = [r for r in recs if r.status.value in wanted]
        return recs

    # -- writes
    def create(self, release: Release) -> Release:
        """Store a new revision; raises :class:`ReleaseExists` if the key is taken."""
        self._check(release)
        created = str(int(time.time()))
        body = self._secret(
            release.model_copy(update={"resource_version": None}),
            secret_labels(release, created_at=created),
        )
        try:
            stored = self.client.request("POST", self._path(), body=body)
        except AlreadyExists as e:
            raise ReleaseExists(release.name, release.version, release.namespace) from e
        return self._stored(release, stored, created)

    def update(self, release: Release) -> Release:
        """Rewrite a revision (status, description...). Conditional on ``resource_version``
        when set (records read from storage carry it): :class:`ReleaseConflict` on a race."""
        self._check(release)
        labels = secret_labels(release, created_at=release._created_at)
        labels["modifiedAt"] = str(int(time.time()))
        body = self._secret(release, labels)
        try:
            stored = self.client.request("PUT", self._path(release.key), body=body)
        except NotFound as e:
            raise ReleaseNotFound(
                f"release {release.name!r} revision {release.version} not found in {self.namespace!r}"
            ) from e
        except Conflict as e:
            raise ReleaseConflict(release.name, release.version, release.namespace, str(e)) from e
        return self._stored(release, stored, release._created_at)

    def _stored(self, release: Release, secret: Mapping[str, Any], created: str | None) -> Release:
        out = release.model_copy(deep=True)
        out.resource_version = (secret.get("metadata") or {}).get("resourceVersion")
        out._created_at = created
        return out

    def delete(self, name: str, revision: int) -> Release | None:
        """Delete one revision; return what was stored (None if it was already gone or
        undecodable)."""
        try:
            rel: Release | None = self.get(name, revision)
        except ReleaseNotFound:
            return None
        except DecodeError:
            rel = None
        try:
            self.client.request("DELETE", self._path(f"sh.helm.release.v1.{name}.v{revision}"))
        except NotFound:
            return None
        return rel

    def delete_all(self, name: str) -> builtins.list[int]:
        """Delete every revision of ``name`` (uninstall without ``--keep-history``)."""
        done = []
        for rel in self.history(name):
            try:
                self.client.request("DELETE", self._path(rel.key))
            except NotFound:
                continue
            done.append(rel.version)
        return done

    def prune(self, name: str, max_history: int, history: builtins.list[Release] | None = None) -> builtins.list[int]:
        """Delete the oldest revisions until at most ``max_history`` remain; never the latest
        ``deployed`` one. ``max_history <= 0`` means unlimited. Returns deleted revisions.

        helm prunes to ``max-1`` *before* creating a revision; callers that mimic that pass
        ``max_history - 1``. ``history`` (all revisions, as the caller knows them) saves the LIST.
        """
        if max_history <= 0:
            return []
        hist = sorted(history, key=lambda r: r.version) if history is not None else self.history(name)
        if len(hist) <= max_history:
            return []
        deployed = [r.version for r in hist if r.status is Status.DEPLOYED]
        keep = max(deployed) if deployed else None
        excess = len(hist) - max_history
        deleted: builtins.list[int] = []
        errors: builtins.list[str] = []
        for rel in hist:
            if len(deleted) >= excess:
                break
            if rel.version == keep:
                continue
            try:
                self.client.request("DELETE", self._path(rel.key))
                deleted.append(rel.version)
            except NotFound:
                deleted.append(rel.version)
            except Exception as e:  # collect like helm, report all at the end
                errors.append(f"revision {rel.version}: {e}")
        if errors:
            raise StorageError(f"pruning history of {name!r} failed: " + "; ".join(errors))
        return deleted
