"""Reading a workload cluster's Nodes and kube-system Pods through its admin kubeconfig.

Short timeouts, no retries, at most two requests per cluster, and a bounded thread pool across
clusters: a workload API server that hangs costs one timeout, never the whole command. Each
cluster gets its own client and request counter, so workload calls are counted apart from the
management cluster's. The kubeconfig holds cluster-admin credentials: it is never logged, and
errors name the server, never the credentials.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx2
import yaml
from lightkube.config.kubeconfig import KubeConfig
from lightkube.config.models import User
from lightkube.core.exceptions import ConfigError

from ..kube.client import KubeClient
from ..kube.errors import ApiError, Forbidden, Unauthorized

__all__ = ["DEFAULT_TIMEOUT", "MAX_PARALLEL", "Probe", "probe", "probe_many"]

DEFAULT_TIMEOUT = 5.0  # seconds per request to a workload API server
MAX_PARALLEL = 8  # workload clusters read at the same time by `status`
NODES = "/api/v1/nodes"
KUBE_SYSTEM_PODS = "/api/v1/namespaces/kube-system/pods"

JSON = dict[str, Any]
K = TypeVar("K", bound=Hashable)


@dataclass
class Probe:
    """What one workload cluster answered: nodes and pods, or why it could not be read."""

    server: str = ""
    error: str = ""  # empty when reachable
    nodes: list[JSON] = field(default_factory=list)
    pods: list[JSON] | None = None  # None when not asked
    requests: int = 0

    @property
    def reachable(self) -> bool:
        return not self.error


def _client(kubeconfig: bytes, timeout: float) -> KubeClient:
    doc = yaml.safe_load(kubeconfig)
    if not isinstance(doc, dict):
        raise ConfigError("the kubeconfig is not a mapping")
    single = KubeConfig.from_dict(doc).get()
    if single is None:
        raise ConfigError("the kubeconfig has no current context")
    if single.user is None:
        single = single._replace(user=User())
    client = KubeClient(single, timeout=timeout)
    client.max_retries = 0  # a workload cluster in trouble gets one try per request
    return client


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def why_unreachable(exc: BaseException, timeout: float) -> str:
    """Name the cause a person can act on: timeout, DNS, TLS, refused, credentials."""
    if isinstance(exc, Unauthorized):
        return "the workload API server rejected the kubeconfig's credentials (401)"
    if isinstance(exc, Forbidden):
        return "the kubeconfig's user may not list nodes (403)"
    if isinstance(exc, ApiError):
        return f"the workload API server answered {exc.code}: {exc}"
    if isinstance(exc, httpx2.TimeoutException):
        return f"timeout: no answer within {timeout:g}s"
    text = " ".join(str(e) for e in _chain(exc))
    if (
        any(isinstance(e, socket.gaierror) for e in _chain(exc))
        or "name resolution" in text.lower()
        or ("not known" in text.lower())
    ):
        return "DNS: the API server's host name does not resolve"
    if any(isinstance(e, ssl.SSLError) for e in _chain(exc)) or "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return "TLS: the API server's certificate is not trusted by the kubeconfig's CA (or the handshake failed)"
    if "refused" in text.lower():
        return "connection refused"
    return f"cannot connect ({type(exc).__name__})"


def probe(kubeconfig: bytes, *, timeout: float = DEFAULT_TIMEOUT, pods: bool = False) -> Probe:
    """Nodes (and kube-system Pods with ``pods``) of one workload cluster; never raises."""
    out = Probe()
    try:
        client = _client(kubeconfig, timeout)
    except (ConfigError, yaml.YAMLError, KeyError, ValueError, TypeError) as exc:
        out.error = f"the kubeconfig is unusable ({type(exc).__name__})"
        return out
    out.server = client.server
    try:
        out.nodes = list(client.request("GET", NODES).get("items") or [])
        if pods:
            out.pods = list(client.request("GET", KUBE_SYSTEM_PODS).get("items") or [])
    except (ApiError, httpx2.HTTPError, OSError) as exc:
        out.error = why_unreachable(exc, timeout)
    finally:
        out.requests = client.counter.count()
        client.close()
    return out


def probe_many(
    kubeconfigs: dict[K, bytes], *, timeout: float = DEFAULT_TIMEOUT, parallel: int = MAX_PARALLEL
) -> dict[K, Probe]:
    """:func:`probe` for many clusters at once, at most ``parallel`` in flight."""
    if not kubeconfigs:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(kubeconfigs)))) as pool:
        futures = {key: pool.submit(probe, data, timeout=timeout) for key, data in kubeconfigs.items()}
        return {key: f.result() for key, f in futures.items()}
