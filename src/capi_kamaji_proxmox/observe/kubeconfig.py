"""The workload cluster's admin kubeconfig, and writing it safely.

Cluster API's contract puts it in the Secret ``<cluster>-kubeconfig`` (key ``value``); the Kamaji
control-plane provider copies it there from the TenantControlPlane's own admin Secret. Until that
copy exists (or when the provider cannot write it) the Kamaji original is used: the
TenantControlPlane (named like the KamajiControlPlane) names it in
``status.kubeconfig.admin.secretName``, by default ``<name>-admin-kubeconfig``, key ``admin.conf``
unless the annotation ``kamaji.clastix.io/kubeconfig-secret-key`` picks another key.

The kubeconfig holds cluster-admin credentials: it is never logged, and files get mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..kube.client import KubeClient
from ..kube.errors import ApiError, NotFound
from ..naming import kubeconfig_secret
from ..release.storage import ReleaseNotFound, SecretStorage
from .build import ReleaseMissing
from .fields import dig
from .snapshot import release_targets

__all__ = ["KubeconfigMissing", "KubeconfigSource", "fetch_kubeconfig", "write_private"]

log = logging.getLogger(__name__)

KAMAJI_TCP_PATH = "/apis/kamaji.clastix.io/v1alpha1/namespaces/{ns}/tenantcontrolplanes/{name}"
KAMAJI_KEY_ANNOTATION = "kamaji.clastix.io/kubeconfig-secret-key"
KAMAJI_DEFAULT_KEY = "admin.conf"


class KubeconfigMissing(LookupError):
    """No kubeconfig Secret exists yet for the cluster (the control plane is not ready)."""


@dataclass(frozen=True)
class KubeconfigSource:
    cluster: str
    secret: str
    key: str


def _secret_value(client: KubeClient, namespace: str, name: str, key: str) -> bytes | None:
    try:
        secret = client.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")
    except NotFound:
        return None
    return secret_value(secret, key)


def secret_value(secret: dict[str, Any], key: str) -> bytes | None:
    """The decoded value of ``key`` in a Secret, or None when it is missing or not valid base64."""
    raw = (secret.get("data") or {}).get(key)
    if not raw:
        return None
    try:
        return base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        return None


def _kamaji_secret(client: KubeClient, namespace: str, tcp_name: str) -> tuple[str, str]:
    """Secret name and key of Kamaji's admin kubeconfig (from the TenantControlPlane if readable)."""
    name, key = f"{tcp_name}-admin-kubeconfig", KAMAJI_DEFAULT_KEY
    try:
        tcp: dict[str, Any] = client.request("GET", KAMAJI_TCP_PATH.format(ns=namespace, name=tcp_name))
    except ApiError as e:  # no such object, Kamaji not served, no RBAC: the default name is the best guess
        log.debug("TenantControlPlane %s/%s unreadable (%s); assuming Kamaji's default names", namespace, tcp_name, e)
        return name, key
    name = str(dig(tcp, "status", "kubeconfig", "admin", "secretName") or name)
    key = str(dig(tcp, "metadata", "annotations", KAMAJI_KEY_ANNOTATION) or key)
    return name, key


def fetch_kubeconfig(client: KubeClient, namespace: str, release: str) -> tuple[bytes, KubeconfigSource]:
    """The admin kubeconfig of the cluster a release manages, and where it came from."""
    try:
        rel = SecretStorage(client, namespace).last(release)
    except ReleaseNotFound as e:
        raise ReleaseMissing(f"release {release!r} not found in namespace {namespace!r}") from e
    targets = release_targets(rel)
    if targets is None:
        raise KubeconfigMissing(f"release {release!r} manages no Cluster, so it has no kubeconfig")
    capi = kubeconfig_secret(targets.cluster)
    data = _secret_value(client, namespace, capi, "value")
    if data:
        return data, KubeconfigSource(targets.cluster, capi, "value")
    kamaji, key = _kamaji_secret(client, namespace, targets.control_plane)
    data = _secret_value(client, namespace, kamaji, key)
    if data:
        return data, KubeconfigSource(targets.cluster, kamaji, key)
    raise KubeconfigMissing(
        f"no kubeconfig for cluster {targets.cluster!r} yet: neither Secret {capi} (key value) nor "
        f"{kamaji} (key {key}) exists in {namespace!r}; the control plane is probably not ready "
        f"(see: capi-kamaji-proxmox describe {release} -n {namespace})"
    )


def write_private(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` readable by the owner only (0600); refuse to replace a file unless ``force``.

    Without ``force`` the file is created with O_EXCL, so an existing file (or a symlink planted
    there) is never followed or truncated. With ``force`` the content goes to a private temporary
    file in the same folder that then atomically replaces the target.
    """
    if not force:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
