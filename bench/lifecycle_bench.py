"""Lifecycle cost against the harness API server: requests sent and wall time of install, a no-op
upgrade and uninstall of a 3-pool cluster, each request sorted into the kind of work it does
(discovery, release records, apply, dry-run, get, list, watch, delete, other; "retried" for a
request the server answered 429 while a new CRD's cache warms up, which the client repeats).
Requests are recorded at the HTTP layer (a transport wrapper), so the lifecycle code runs
unchanged. Each verb gets a new connection, as each CLI run does (so its discovery is counted).
The issue-12 budgets are shown without the server-side dry run (one request per object, before
the first write: nothing is half-applied when the server rejects an object) and with it.
Prints; asserts nothing.

Run from the repository root: python bench/lifecycle_bench.py [--generation current|legacy] [-v]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
from lightkube.config import client_adapter
from lightkube.config.models import User

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config
from capi_kamaji_proxmox.lifecycle import actions
from capi_kamaji_proxmox.lifecycle.context import ActionContext, Options, Reporter
from capi_kamaji_proxmox.render.engine import render
from capi_kamaji_proxmox.values.load import validate_config
from tests.harness.cluster import ControlPlane
from tests.harness.recorder import KINDS, Recorder
from tests.rendering import apis_for

VALUES = {
    "nodePools": [
        {"name": "workers", "replicas": 3},
        {"name": "storage", "replicas": 3, "memoryMiB": 16384},
        {"name": "batch", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 10}},
    ]
}


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

        def context() -> ActionContext:
            """A new connection (its own discovery), as each CLI run has."""
            client = KubeClient(config, namespace=namespace, transport=recorder)
            return ActionContext(
                client=client, namespace=namespace, options=Options(skip_preflight=True), out=Reporter(quiet=True)
            )

        loaded = validate_config(VALUES, release_name="bench")
        n_objects = len(
            render(loaded.values, release_name="bench", namespace=namespace, apis=apis_for(args.generation))
        )
        print(f"3-pool cluster on the harness API server ({args.generation} CRDs); requests by kind:")
        # verb, what it runs, its goal in requests beyond one per object and the dry run (issue 12),
        # the kind of request each object costs
        steps: list[tuple[str, Callable[[], object], int | None, str]] = [
            ("install", lambda: actions.install(context(), "bench", loaded), 4, "apply"),
            ("no-op upgrade", lambda: actions.upgrade(context(), "bench", loaded), 5, "apply"),
            ("uninstall", lambda: actions.uninstall(context(), "bench"), None, "delete"),
        ]
        print(f"  {'verb':14s} {'ms':>8s} {'total':>5s}  " + " ".join(f"{k:>9s}" for k in KINDS))
        extras: list[str] = []
        for name, step, goal, per_object in steps:
            recorder.clear()
            t = time.perf_counter()
            step()
            took = time.perf_counter() - t
            counts = recorder.counts()
            row = " ".join(f"{counts.get(k, 0):9d}" for k in KINDS)
            print(f"  {name:14s} {took * 1000:8.1f} {len(recorder.seen):5d}  {row}")
            if args.verbose:
                for kind, method, path in recorder.seen:
                    print(f"      {kind:9s} {method:6s} {path}")
            if goal is not None:
                other = [
                    f"{k} {m} {short(p, namespace)}"
                    for k, m, p in recorder.seen
                    if k not in (per_object, "dry-run", "retried")
                ]
                counted = len(recorder.seen) - counts.get("retried", 0)
                verdict = "met" if len(other) <= goal else "NOT met"
                extras.append(
                    f"  {name}: {counted} requests = {counts.get(per_object, 0)} {per_object} + "
                    f"{counts.get('dry-run', 0)} dry-run + {len(other)} other; budget objects + {goal} = "
                    f"{n_objects + goal} without the dry run ({counted - counts.get('dry-run', 0)} sent), "
                    f"2 x objects + {goal} = {2 * n_objects + goal} with it: {verdict}"
                )
                extras += [f"    {line}" for line in other]
        print(f"{n_objects} objects rendered. Requests other than one apply and one dry run per object:")
        print("\n".join(extras))


if __name__ == "__main__":
    main()
