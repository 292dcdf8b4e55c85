"""Time ``status -A`` reading workload clusters, with one workload API server that hangs.

Why: ``status`` reads every workload cluster it finds a kubeconfig for; concurrency (at most 8 at a
time) and a short per-request timeout must keep one hanging server from stalling the command, and
the management request count must not grow with the fleet. Prints numbers and asserts nothing.
Run from the repository root:

    python bench/workload_bench.py [--clusters 50] [--workloads 10] [--timeout 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capi_kamaji_proxmox.kube import connect
from capi_kamaji_proxmox.observe import load_status, status_rows
from capi_kamaji_proxmox.observe.workload_load import status_workloads
from tests.harness.cluster import ControlPlane
from tests.observe import workload as wl
from tests.observe.test_status import fleet


def run(plane: ControlPlane, namespace: str, timeout: float, parallel: int) -> tuple[float, int, object]:
    with connect(kubeconfig=plane.kubeconfig, namespace=namespace) as client:
        t0 = time.perf_counter()
        snap, _ = load_status(client, namespace)
        rows = status_rows(snap, snap.latest_releases(namespace))
        stats = status_workloads(client, namespace, rows, timeout=timeout, parallel=parallel)
        return time.perf_counter() - t0, client.counter.count(), stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", type=int, default=50)
    ap.add_argument("--workloads", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    hanging = wl.HangingServer(lifetime=3600)
    with ControlPlane(generation="current") as mgmt, ControlPlane(generation="current", install_crds=False) as work:
        kc = wl.reset(work)
        for i in range(3):
            wl.node(kc, f"node-{i}", ready=True)
        ns = mgmt.create_namespace("bench")
        fleet(mgmt, ns, args.clusters)
        good = wl.kubeconfig_text(work)
        for i in range(args.workloads):
            text = wl.kubeconfig_text(work, server=hanging.url) if i == 0 else good
            wl.kubeconfig_secret(mgmt.client, ns, f"c{i}", text)
        print(
            f"{args.clusters} clusters, {args.workloads} with a workload API server, 1 of them hanging; "
            f"per-request timeout {args.timeout:g}s"
        )
        for parallel in (1, 8):
            times = []
            for _ in range(args.runs):
                elapsed, mgmt_requests, stats = run(mgmt, ns, args.timeout, parallel)
                times.append(elapsed)
            print(
                f"parallel {parallel}: median {statistics.median(times):.2f}s, min {min(times):.2f}s over "
                f"{args.runs} runs; management requests {mgmt_requests}; workload {stats}"
            )
    hanging.stop()


if __name__ == "__main__":
    main()
