"""Time ``status -A`` for a fleet of clusters written into a harness API server.

Why: ``status`` must stay fast on a management cluster with hundreds of tenant clusters; it sends a
fixed number of LIST requests and joins in memory, so its cost should be dominated by decoding the
release records. Prints numbers and asserts nothing. Run from the repository root:

    python bench/status_bench.py [--clusters 200] [--generation current|legacy] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from capi_kamaji_proxmox.kube import connect
from capi_kamaji_proxmox.observe import load_status, status_lines, status_rows
from tests.harness.cluster import ControlPlane
from tests.observe.world import World


def populate(plane: ControlPlane, namespaces: list[str], clusters: int) -> float:
    """Write ``clusters`` releases (2 revisions each, two pools) spread over ``namespaces``."""
    t0 = time.perf_counter()
    for i in range(clusters):
        ns = namespaces[i % len(namespaces)]
        w = World(plane, ns, release=f"rel-{i}", cluster=f"cl-{i}")
        w.install()
        w.record(2)  # an upgrade: status reads every revision's record and keeps the newest
        w.cluster_state("Provisioned", ready=True, endpoint=f"10.{i // 250}.{i % 250}.1:6443")
        w.control_plane_state(ready=2)
        w.md_state("workers", replicas=2, up_to_date=1 if i % 10 == 0 else 2, ready=2)
        w.md_state("gpu", replicas=1, up_to_date=1, ready=1)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", type=int, default=200)
    ap.add_argument("--namespaces", type=int, default=10)
    ap.add_argument("--generation", default="current", choices=("current", "legacy"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with ControlPlane(generation=args.generation) as plane:
        namespaces = [plane.create_namespace(f"fleet{i}") for i in range(args.namespaces)]
        write_s = populate(plane, namespaces, args.clusters)
        print(f"wrote {args.clusters} clusters in {len(namespaces)} namespaces ({args.generation}): {write_s:.1f}s")

        times, requests, rows = [], 0, 0
        for _ in range(args.runs):
            with connect(kubeconfig=plane.kubeconfig) as client:
                t0 = time.perf_counter()
                snap, _ = load_status(client, None)
                found = status_rows(snap, snap.latest_releases(None))
                status_lines(found, all_namespaces=True)
                times.append(time.perf_counter() - t0)
                requests, rows = client.counter.count(), len(found)
        print(
            f"status -A (library, fresh client): first {times[0] * 1000:.0f} ms, median "
            f"{statistics.median(times) * 1000:.0f} ms over {args.runs} runs (manifest parse cached per "
            f"revision after the first); {requests} requests; {rows} rows"
        )
        cli_times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            res = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "capi_kamaji_proxmox.cli.main",
                    "status",
                    "-A",
                    "--kubeconfig",
                    str(plane.kubeconfig),
                ],
                capture_output=True,
                text=True,
            )
            cli_times.append(time.perf_counter() - t0)
            if res.returncode != 0:
                print(f"CLI failed: {res.stderr.strip()}")
                break
        print(
            f"capi-kamaji-proxmox status -A (whole process): median {statistics.median(cli_times) * 1000:.0f} ms, "
            f"min {min(cli_times) * 1000:.0f} ms"
        )
        rolling = sum(1 for line in res.stdout.splitlines() if "up to date" in line)
        print(f"lines printed: {len(res.stdout.splitlines()) - 1}, of which rolling out: {rolling}")


if __name__ == "__main__":
    main()
