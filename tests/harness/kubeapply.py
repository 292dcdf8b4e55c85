"""A small, dependency-light REST client for the harness API server, and server-side apply.

Tests talk HTTPS to the real kube-apiserver with ``requests`` so that what they assert on is
exactly the server's answer (status code, ``Status.message``), with no client library in
between that might re-validate, default or reword anything.
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

FIELD_MANAGER = "capi-kamaji-proxmox-tests"


class KubeAPIError(RuntimeError):
    """A non-2xx answer from the API server; ``message`` is the server's own Status text."""

    def __init__(self, status: int, message: str, body: Any, what: str = "") -> None:
        self.status = status
        self.message = message
        self.body = body
        self.what = what
        super().__init__(f"{what}: HTTP {status}: {message}" if what else f"HTTP {status}: {message}")


@dataclass(frozen=True)
class APIResource:
    """What discovery says about one kind: its plural name and whether it is namespaced."""

    plural: str
    namespaced: bool


_TEMP_DIRS: list[str] = []


def _cleanup_temp_dirs() -> None:
    for d in _TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_temp_dirs)


@dataclass
class KubeClient:
    """HTTPS client bound to one server and one client certificate."""

    server: str
    ca_file: str
    cert_file: str
    key_file: str
    timeout: float = 30.0
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _discovery: dict[str, dict[str, APIResource]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # trust_env off: REQUESTS_CA_BUNDLE/proxy variables would otherwise override our CA.
        self._session.trust_env = False
        self._session.verify = self.ca_file
        self._session.cert = (self.cert_file, self.key_file)

    @classmethod
    def from_kubeconfig(cls, path: str | os.PathLike[str]) -> KubeClient:
        """Build a client from a kubeconfig with client-certificate auth (file or inline data)."""
        cfg = yaml.safe_load(Path(path).read_text())
        ctx_name = cfg.get("current-context") or cfg["contexts"][0]["name"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        tmp: str | None = None

        def material(entry: Mapping[str, Any], key: str) -> str:
            nonlocal tmp
            if key in entry:
                return str(entry[key])
            data = entry[f"{key}-data"]
            if tmp is None:
                tmp = tempfile.mkdtemp(prefix="kubeclient-")
                _TEMP_DIRS.append(tmp)
            out = Path(tmp) / key
            out.write_bytes(base64.b64decode(data))
            out.chmod(0o600)
            return str(out)

        return cls(
            server=cluster["server"].rstrip("/"),
            ca_file=material(cluster, "certificate-authority"),
            cert_file=material(user, "client-certificate"),
            key_file=material(user, "client-key"),
        )

    # -- raw verbs ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str = "",
        ok: Iterable[int] = (),
        **kwargs: Any,
    ) -> Any:
        """Send one request; return parsed JSON, raise KubeAPIError on an unexpected status."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify", self.ca_file)
        resp = self._session.request(method, self.server + path, **kwargs)
        if resp.status_code >= 300 and resp.status_code not in set(ok):
            try:
                body: Any = resp.json()
                message = str(body.get("message", resp.text))
            except ValueError:
                body, message = resp.text, resp.text
            raise KubeAPIError(resp.status_code, message, body, what or f"{method} {path}")
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            return resp.text

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET ``path`` (relative to the server URL)."""
        return self.request("GET", path, **kwargs)

    # -- discovery -----------------------------------------------------------------------------

    def resource_for(self, api_version: str, kind: str, *, refresh: bool = False) -> APIResource:
        """Plural resource name and scope of ``kind`` in ``api_version``, via API discovery."""
        if refresh or api_version not in self._discovery:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            listing = self.get(path)
            self._discovery[api_version] = {
                r["kind"]: APIResource(r["name"], bool(r["namespaced"]))
                for r in listing.get("resources", [])
                if "/" not in r["name"]
            }
        try:
            return self._discovery[api_version][kind]
        except KeyError:
            if not refresh:
                return self.resource_for(api_version, kind, refresh=True)
            raise

    def object_path(self, api_version: str, kind: str, name: str = "", namespace: str = "") -> str:
        """URL path of an object (or its collection when ``name`` is empty)."""
        res = self.resource_for(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if res.namespaced:
            if not namespace:
                raise ValueError(f"{kind} is namespaced but no namespace was given")
            base += f"/namespaces/{namespace}"
        path = f"{base}/{res.plural}"
        return f"{path}/{name}" if name else path

    # -- object helpers ------------------------------------------------------------------------

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        namespace: str = "",
        strict: bool = True,
        dry_run: bool = False,
        field_manager: str = FIELD_MANAGER,
    ) -> dict[str, Any]:
        """Server-side apply one object; ``strict`` makes unknown/duplicate fields an error."""
        api_version, kind = obj["apiVersion"], obj["kind"]
        meta = obj.get("metadata") or {}
        name = meta["name"]
        res = self.resource_for(api_version, kind)
        ns = (meta.get("namespace") or namespace) if res.namespaced else ""
        body = dict(obj)
        if res.namespaced:
            body["metadata"] = {**meta, "namespace": ns}
        params: dict[str, str] = {
            "fieldManager": field_manager,
            "force": "true",
            "fieldValidation": "Strict" if strict else "Warn",
        }
        if dry_run:
            params["dryRun"] = "All"
        what = f"apply {kind} {ns + '/' if ns else ''}{name}"
        result: dict[str, Any] = self.request(
            "PATCH",
            self.object_path(api_version, kind, name, ns),
            params=params,
            data=yaml.safe_dump(body).encode(),
            headers={"Content-Type": "application/apply-patch+yaml"},
            what=what,
        )
        return result

    def get_object(self, api_version: str, kind: str, name: str, namespace: str = "") -> Any:
        """GET one object; returns None when it does not exist."""
        path = self.object_path(api_version, kind, name, namespace)
        resp = self.request("GET", path, ok=(404,))
        if isinstance(resp, dict) and resp.get("kind") == "Status" and resp.get("code") == 404:
            return None
        return resp

    def create_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> None:
        """Create a namespace (no controllers run, so it is never garbage collected)."""
        body = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels or {})},
        }
        self.request("POST", "/api/v1/namespaces", json=body, what=f"create namespace {name}")


def apply_manifests(
    kubeconfig: str | os.PathLike[str],
    objs: Iterable[Mapping[str, Any]],
    namespace: str,
    strict: bool = True,
    *,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Server-side apply ``objs`` in order; the first rejection raises KubeAPIError.

    Namespaced objects without ``metadata.namespace`` go to ``namespace``; cluster-scoped
    ones ignore it. Returns the objects as the server stored them (defaults applied).
    """
    client = KubeClient.from_kubeconfig(kubeconfig)
    return [client.apply(obj, namespace=namespace, strict=strict, dry_run=dry_run) for obj in objs]
