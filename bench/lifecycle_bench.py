"""Lifecycle cost against the harness API server: requests sent and wall time of install, a no-op
upgrade and uninstall of a 3-pool cluster, each request sorted into the kind of work it does
(discovery, release records, apply, dry-run, get, list, watch, delete, other). Requests are
recorded at the HTTP layer (a transport wrapper), so the lifecycle code runs unchanged.
Prints; asserts nothing.

Run from the repository root: python bench/lifecycle_bench.py [--generation current|legacy] [-v]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx2
from lightkube.config import client_adapter
from lightkube.config.models import User

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config  # noqa: E402
from capi_kamaji_proxmox.lifecycle import actions  # noqa: E402
from capi_kamaji_proxmox.lifecycle.context import ActionContext, Options, Reporter  # noqa: E402
from capi_kamaji_proxmox.render.engine import render  # noqa: E402
from capi_kamaji_proxmox.values.load import validate_config  # noqa: E402
from tests.harness.cluster import ControlPlane  # noqa: E402
from tests.rendering import apis_for  # noqa: E402

VALUES = {
    "nodePools": [
        {"name": "workers", "replicas": 3},
        {"name": "storage", "replicas": 3, "memoryMiB": 16384},
        {"name": "batch", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 10}},
    ]
}
KINDS = ("discovery", "records", "apply", "dry-run", "get", "list", "watch", "delete", "other")


def kind_of(request: httpx2.Request) -> str:
    """What one request is for, from its method, path, query and content type."""
    path, params = request.url.path, request.url.params
    parts = path.strip("/").split("/")
    if request.method == "GET" and len(parts) <= {"api": 2, "apis": 3}.get(parts[0], 0):
        return "discovery"  # /api, /api/v1, /apis, /apis/<group>/<version>
    if params.get("dryRun") == "All":
        return "dry-run"
    if "/secrets" in path and (
        "owner=helm" in params.get("labelSelector", "")
        or "sh.helm.release.v1." in path
        or (request.method == "POST" and b"sh.helm.release.v1." in request.content)
    ):
        return "records"
    if request.method == "PATCH" and request.headers.get("content-type", "").startswith("application/apply-patch"):
        return "apply"
    if request.method == "DELETE":
        return "delete"
    if request.method == "GET":
        if params.get("watch") == "true":
            return "watch"
        # /apis/g/v/namespaces/ns/plural/name or /apis/g/v/plural/name: a name after the plural
        rest = parts[3:] if parts[0] == "apis" else parts[2:]
        named = len(rest) in (2, 4) and not (len(rest) == 2 and rest[0] == "namespaces")
        return "get" if named else "list"
    return "other"


class Recorder(httpx2.BaseTransport):
    """Keeps what kind each request was, and its method and path for ``-v``."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, str]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append((kind_of(request), request.method, str(request.url.raw_path.decode())))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def short(path: str, namespace: str) -> str:
    """A request path without the API prefix and the bench namespace, for reading."""
    for prefix in (f"/api/v1/namespaces/{namespace}/", "/apis/", f"namespaces/{namespace}/"):
        path = path.replace(prefix, "")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--generation", default="current", choices=("current", "legacy"))
    p.add_argument("-v", "--verbose", action="store_true", help="list every request")
    args = p.parse_args()
    with ControlPlane(generation=args.generation) as plane:
        namespace = plane.create_namespace("bench")
        config = resolve_config(str(plane.kubeconfig))
        verify = client_adapter.verify_cluster(config.cluster, config.user or User(), config.abs_file)
        recorder = Recorder(httpx2.HTTPTransport(verify=verify))
        client = KubeClient(config, namespace=namespace, transport=recorder)
        ctx = ActionContext(
            client=client, namespace=namespace, options=Options(skip_preflight=True), out=Reporter(quiet=True)
        )
        loaded = validate_config(VALUES, release_name="bench")
        n_objects = len(
            render(loaded.values, release_name="bench", namespace=namespace, apis=apis_for(args.generation))
        )
        print(f"3-pool cluster on the harness API server ({args.generation} CRDs); requests by kind:")
        # verb, what it runs, its goal in requests (issue 12), the kind of request each object costs
        steps: list[tuple[str, Callable[[], object], int | None, str]] = [
            ("install", lambda: actions.install(ctx, "bench", loaded), n_objects + 4, "apply"),
            ("no-op upgrade", lambda: actions.upgrade(ctx, "bench", loaded), n_objects + 5, "apply"),
            ("uninstall", lambda: actions.uninstall(ctx, "bench"), None, "delete"),
        ]
        print(f"  {'verb':14s} {'ms':>8s} {'total':>5s}  " + " ".join(f"{k:>9s}" for k in KINDS))
        extras: list[str] = []
        for name, step, goal, per_object in steps:
            recorder.seen.clear()
            t = time.perf_counter()
            step()
            took = time.perf_counter() - t
            counts = Counter(k for k, _, _ in recorder.seen)
            row = " ".join(f"{counts.get(k, 0):9d}" for k in KINDS)
            print(f"  {name:14s} {took * 1000:8.1f} {len(recorder.seen):5d}  {row}")
            if args.verbose:
                for kind, method, path in recorder.seen:
                    print(f"      {kind:9s} {method:6s} {path}")
            if goal is not None:
                other = [f"{k} {m} {short(p, namespace)}" for k, m, p in recorder.seen if k != per_object]
                extras.append(f"  {name} (goal <= {goal}): {len(other)} beyond one {per_object} per object:")
                extras += [f"    {line}" for line in other]
        print(f"{n_objects} objects rendered. Requests other than one per object:")
        print("\n".join(extras))
        client.close()


if __name__ == "__main__":
    main()
