"""Lifecycle cost against the harness API server: requests sent and wall time of install, a no-op
upgrade and uninstall of a 3-pool cluster (requests counted at the client; the server-side dry runs
that precede every first write are shown as their own category). Prints; asserts nothing.

Run from the repository root: python bench/lifecycle_bench.py [--generation current|legacy]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config  # noqa: E402
from capi_kamaji_proxmox.lifecycle import actions  # noqa: E402
from capi_kamaji_proxmox.lifecycle.context import ActionContext, Options, Reporter  # noqa: E402
from capi_kamaji_proxmox.values.load import validate_config  # noqa: E402
from tests.harness.cluster import ControlPlane  # noqa: E402

VALUES = {
    "nodePools": [
        {"name": "workers", "replicas": 3},
        {"name": "storage", "replicas": 3, "memoryMiB": 16384},
        {"name": "batch", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 10}},
    ]
}


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--generation", default="current", choices=("current", "legacy"))
    args = p.parse_args()
    with ControlPlane(generation=args.generation) as plane:
        namespace = plane.create_namespace("bench")
        client = KubeClient(resolve_config(str(plane.kubeconfig)), namespace=namespace)
        options = Options(skip_preflight=True)
        ctx = ActionContext(client=client, namespace=namespace, options=options, out=Reporter(quiet=True))
        loaded = validate_config(VALUES, release_name="bench")
        print(f"3-pool cluster on the harness API server ({args.generation} CRDs):")
        steps = [
            ("install", lambda: actions.install(ctx, "bench", loaded)),
            ("no-op upgrade", lambda: actions.upgrade(ctx, "bench", loaded)),
            ("uninstall", lambda: actions.uninstall(ctx, "bench")),
        ]
        for name, step in steps:
            client.counter.reset()
            t = time.perf_counter()
            step()
            took = time.perf_counter() - t
            c = client.counter
            by_method = ", ".join(f"{m} {c.count(m) - (c.dry_runs if m == 'PATCH' else 0)}" for m in METHODS)
            print(f"  {name:14s} {took * 1000:8.1f} ms  {c.total:4d} requests ({by_method}, dry-run {c.dry_runs})")
        client.close()


if __name__ == "__main__":
    main()
