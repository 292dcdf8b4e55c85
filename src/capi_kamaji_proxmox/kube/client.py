"""Connection to the management cluster.

lightkube parses kubeconfig users/clusters and builds the TLS and auth pieces; on top of that this
module adds what the tool needs and lightkube lacks: a merged ``KUBECONFIG`` list like kubectl,
``--context``/``--namespace`` resolution, typed errors, and a request counter shared by every HTTP
client built from one connection (benchmarks and tests assert request counts).

Requests go through :meth:`KubeClient.request` (plain JSON dicts, any apiVersion/kind, so CRD kinds
need no generated classes). :meth:`KubeClient.lightkube` returns a ``lightkube.Client`` on the same
connection for code that prefers typed resources; its requests are counted too.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import lightkube
import yaml
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.config.models import User
from lightkube.core.exceptions import ConfigError

from .errors import KubeConfigError, error_from_response

__all__ = [
    "DEFAULT_FIELD_MANAGER",
    "KubeClient",
    "RequestCounter",
    "connect",
    "load_kubeconfig",
    "resolve_config",
]

log = logging.getLogger(__name__)

DEFAULT_FIELD_MANAGER = "capi-kamaji-proxmox"
DEFAULT_KUBECONFIG = Path("~/.kube/config")
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

JSON = dict[str, Any]


@dataclass
class RequestCounter:
    """Counts HTTP requests sent to the API server (thread-safe).

    ``requests`` keeps ``(method, path)`` of the most recent requests (bounded) so a failing
    request-count assertion can show what was sent.
    """

    total: int = 0
    dry_runs: int = 0  # requests with dryRun=All (server-side validation before the first write)
    by_method: Counter[str] = field(default_factory=Counter)
    requests: list[tuple[str, str]] = field(default_factory=list)
    keep: int = 10_000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, path: str, *, dry_run: bool = False) -> None:
        """Count one request."""
        with self._lock:
            self.total += 1
            self.dry_runs += dry_run
            self.by_method[method] += 1
            self.requests.append((method, path))
            if len(self.requests) > self.keep:
                del self.requests[: len(self.requests) - self.keep]

    def reset(self) -> None:
        """Start counting from zero (e.g. after test setup)."""
        with self._lock:
            self.total = 0
            self.dry_runs = 0
            self.by_method.clear()
            self.requests.clear()

    def count(self, method: str | None = None) -> int:
        """Requests sent so far, optionally only those with one HTTP method."""
        with self._lock:
            return self.total if method is None else self.by_method[method.upper()]


class _CountingTransport(httpx2.BaseTransport):
    """Transport wrapper: every request that reaches the wire is counted once."""

    def __init__(self, inner: httpx2.BaseTransport, counter: RequestCounter) -> None:
        self._inner = inner
        self._counter = counter

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self._counter.record(request.method, request.url.path, dry_run="dryRun" in request.url.params)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


# --------------------------------------------------------------------------- kubeconfig


_PATH_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


def _absolutize(entry: dict[str, Any], inner: str, keys: Sequence[str], base: Path) -> None:
    body = entry.get(inner)
    if not isinstance(body, dict):
        return
    for k in keys:
        v = body.get(k)
        if isinstance(v, str) and v and not Path(v).expanduser().is_absolute():
            body[k] = str(base / v)
        elif isinstance(v, str) and v.startswith("~"):
            body[k] = str(Path(v).expanduser())


def load_kubeconfig(paths: Sequence[Path]) -> tuple[JSON, Path | None]:
    """Merge kubeconfig files the way kubectl merges a ``KUBECONFIG`` list.

    For clusters, contexts and users the first file that defines a name wins; ``current-context``
    comes from the first file that sets it; files that do not exist are skipped. Relative
    certificate/key/token-file paths are made absolute against the file that contains them, so
    the merged result no longer depends on one base directory. Not handled: relative ``exec``
    command paths and ``preferences``/``extensions`` merging.
    """
    merged: JSON = {"clusters": [], "contexts": [], "users": []}
    seen: dict[str, set[str]] = {"clusters": set(), "contexts": set(), "users": set()}
    first: Path | None = None
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists() or path.is_dir():  # a pipe (`--kubeconfig <(...)`) is not a regular file
            continue
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except OSError as e:
            raise KubeConfigError(f"cannot read kubeconfig {path}: {e.strerror or e}") from e
        except yaml.YAMLError as e:
            raise KubeConfigError(f"kubeconfig {path} is not valid YAML: {e}") from e
        if not isinstance(doc, dict):
            raise KubeConfigError(f"kubeconfig {path} is not a mapping")
        first = first or path
        if not merged.get("current-context") and doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
        for section in ("clusters", "contexts", "users"):
            for entry in doc.get(section) or []:
                if not isinstance(entry, dict) or "name" not in entry:
                    continue
                if entry["name"] in seen[section]:
                    continue
                seen[section].add(entry["name"])
                entry = json.loads(json.dumps(entry))  # private copy before path rewriting
                if section in _PATH_FIELDS:
                    inner, keys = _PATH_FIELDS[section]
                    _absolutize(entry, inner, keys, path.parent.resolve())
                merged[section].append(entry)
    return merged, first


def _kubeconfig_paths(kubeconfig: str | os.PathLike[str] | None, env: Mapping[str, str]) -> list[Path]:
    if kubeconfig:
        return [Path(kubeconfig)]
    listed = env.get("KUBECONFIG", "")
    if listed:
        return [Path(p) for p in listed.split(os.pathsep) if p]
    return [DEFAULT_KUBECONFIG]


def resolve_config(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> SingleConfig:
    """Pick connection settings like kubectl does.

    Order: ``--kubeconfig`` (one file), else the ``KUBECONFIG`` list (merged, see
    :func:`load_kubeconfig`), else ``~/.kube/config``; if none of these files exists and the
    process runs in a pod, the in-cluster service account. ``context`` overrides the
    current-context.
    """
    env = os.environ if env is None else env
    paths = _kubeconfig_paths(kubeconfig, env)
    explicit = Path(kubeconfig).expanduser() if kubeconfig else None
    if explicit is not None and (not explicit.exists() or explicit.is_dir()):
        raise KubeConfigError(f"kubeconfig file {kubeconfig} not found")
    merged, first = load_kubeconfig(paths)
    if first is None:
        if env.get("KUBERNETES_SERVICE_HOST") and service_account_dir.is_dir():
            try:
                return KubeConfig.from_service_account(service_account_dir).get()  # type: ignore[return-value]
            except (ConfigError, KeyError) as e:
                raise KubeConfigError(f"in-cluster configuration unusable: {e}") from e
        where = ", ".join(str(p) for p in paths)
        raise KubeConfigError(
            f"no kubeconfig found (looked at {where}) and not running in a cluster; pass --kubeconfig or set KUBECONFIG"
        )
    try:
        kc = KubeConfig.from_dict(merged, fname=first)
        if context is not None and context not in kc.contexts:
            raise KubeConfigError(f"context {context!r} not found in kubeconfig")
        single = kc.get(context)
    except ConfigError as e:
        raise KubeConfigError(str(e)) from e
    except KeyError as e:
        raise KubeConfigError(f"kubeconfig refers to an undefined cluster or user: {e}") from e
    if single is None:  # pragma: no cover - kc.get only returns None with a default
        raise KubeConfigError("kubeconfig has no current context; pass --context")
    if single.user is None:
        # lightkube requires a user entry; an empty one means "no client auth".
        single = single._replace(user=User())
    return single


# --------------------------------------------------------------------------- client


def _retry_after(resp: httpx2.Response) -> float | None:
    """Seconds to wait before retrying, if the server asked for a retry (429/5xx+Retry-After)."""
    if resp.status_code not in (429, 500, 502, 503, 504):
        return None
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.1), 5.0)
    except ValueError:
        return 1.0


class KubeClient:
    """An API-server connection: raw JSON requests, typed errors, counted requests.

    One instance per management cluster; it caches discovery (see :mod:`.discovery`), so reuse
    it for the whole command.
    """

    def __init__(
        self,
        config: SingleConfig,
        *,
        namespace: str | None = None,
        timeout: float = 30.0,
        field_manager: str = DEFAULT_FIELD_MANAGER,
        counter: RequestCounter | None = None,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        """``transport`` replaces the network (tests pass an ``httpx2.MockTransport``)."""
        self.config = config
        self.namespace = namespace or config.namespace
        self.field_manager = field_manager
        self.max_retries = 5
        self.counter = counter or RequestCounter()
        self._timeout = httpx2.Timeout(timeout)
        user = config.user or User()
        if transport is None:
            verify = client_adapter.verify_cluster(config.cluster, user, config.abs_file)
            transport = httpx2.HTTPTransport(verify=verify)
        self._transport = _CountingTransport(transport, self.counter)
        self.http = httpx2.Client(
            base_url=config.cluster.server,
            auth=client_adapter.user_auth(user),
            transport=self._transport,
            timeout=self._timeout,
        )
        self._lightkube: lightkube.Client | None = None
        self.discovery_cache: dict[str, Any] = {}

    # -- lifecycle
    def close(self) -> None:
        """Close connections (also those of :meth:`lightkube`)."""
        self.http.close()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def server(self) -> str:
        """API server URL."""
        return self.config.cluster.server

    def lightkube(self) -> lightkube.Client:
        """A ``lightkube.Client`` on the same connection and counter."""
        if self._lightkube is None:
            self._lightkube = lightkube.Client(
                config=self.config,
                namespace=self.namespace,
                field_manager=self.field_manager,
                transport=self._transport,
                timeout=self._timeout,
            )
        return self._lightkube

    # -- raw requests
    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: str | None = None,
        apply: bool = False,
    ) -> httpx2.Response:
        """Send one request; raise the typed :class:`~.errors.ApiError` on a non-2xx answer."""
        headers = {"Accept": accept or "application/json"}
        content: bytes | None = None
        if body is not None:
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in range(self.max_retries + 1):
            resp = self.http.request(method, path, params=dict(params or {}), content=content, headers=headers)
            delay = _retry_after(resp)
            if delay is None or attempt == self.max_retries:
                break
            # The server promises it did not process the request (e.g. 429 "storage is
            # (re)initializing" while a new CRD's cache warms up): retry like client-go.
            time.sleep(delay)
        if resp.status_code >= 400:
            raise error_from_response(resp.status_code, resp.content, method=method, path=path, apply=apply)
        return resp

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: str | None = None,
        apply: bool = False,
    ) -> JSON:
        """Like :meth:`send` but return the decoded JSON body (``{}`` when empty)."""
        resp = self.send(
            method,
            path,
            params=params,
            body=body,
            content_type=content_type,
            accept=accept,
            apply=apply,
        )
        if not resp.content:
            return {}
        data = resp.json()
        return data if isinstance(data, dict) else {"items": data}

    @contextmanager
    def stream(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> Iterator[httpx2.Response]:
        """Streaming GET (watches); read timeout disabled, typed error on failure."""
        timeout = httpx2.Timeout(self._timeout.connect, read=None)
        with self.http.stream(
            method,
            path,
            params=dict(params or {}),
            headers={"Accept": "application/json"},
            timeout=timeout,
        ) as resp:
            if resp.status_code >= 400:
                resp.read()
                raise error_from_response(resp.status_code, resp.content, method=method, path=path)
            yield resp


def connect(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    namespace: str | None = None,
    *,
    timeout: float = 30.0,
    field_manager: str = DEFAULT_FIELD_MANAGER,
    env: Mapping[str, str] | None = None,
) -> KubeClient:
    """Client from CLI options (``--kubeconfig``, ``--context``, ``--namespace``) and environment.

    The default namespace is ``namespace`` if given, else the context's namespace, else
    ``default``.
    """
    cfg = resolve_config(kubeconfig, context, env)
    return KubeClient(cfg, namespace=namespace, timeout=timeout, field_manager=field_manager)
