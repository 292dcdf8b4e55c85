"""Measure the test harness: cold build time, start-to-ready time, kube-apiserver peak RSS.

Prints numbers and asserts nothing. Run from the repository root:

    python bench/harness_bench.py               # start-to-ready + RSS, both generations
    python bench/harness_bench.py --cold-build  # also a cold build into a temp cache (slow)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import binaries
from tests.harness.cluster import GENERATIONS, ControlPlane


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of ``pid`` in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cold_build(fresh_gocache: bool) -> None:
    """Build every tool into a throw-away binary cache.

    With ``fresh_gocache`` each tool also gets its own empty GOCACHE, so every number is a
    true cold compile; without it the machine's Go build cache is reused (a warm rebuild).
    """
    with tempfile.TemporaryDirectory(prefix="ckp-bench-cache-") as tmp:
        total = 0.0
        for name in binaries.TOOLS:
            env = dict(os.environ)
            if fresh_gocache:
                env["GOCACHE"] = str(Path(tmp) / f"go-build-{name}")
            t0 = time.monotonic()
            path = binaries.build(name, root=Path(tmp) / "bin", env=env, log=lambda _m: None)
            secs = time.monotonic() - t0
            total += secs
            size = path.stat().st_size / 2**20
            print(f"cold build {name:15s} {secs:7.1f}s  ({size:.0f} MiB)", flush=True)
        print(f"cold build total          {total:7.1f}s", flush=True)


def start_to_ready(generation: str, rounds: int) -> None:
    """Time ControlPlane.start() (binaries cached) and read the apiserver's peak RSS."""
    for i in range(rounds):
        t0 = time.monotonic()
        plane = ControlPlane(generation=generation)
        plane.start()
        total = time.monotonic() - t0
        try:
            rss = vm_hwm_mib(plane.pids["kube-apiserver"])
            etcd_rss = vm_hwm_mib(plane.pids["etcd"])
            t = plane.timings
            print(
                f"{generation:8s} round {i + 1}: ready {total:5.1f}s "
                f"(binaries {t['binaries']:.1f}s, apiserver /readyz {t['apiserver_ready']:.1f}s, "
                f"{len(plane.crd_names)} CRDs Established {t['crds_established']:.1f}s); "
                f"kube-apiserver VmHWM {rss:.0f} MiB, etcd VmHWM {etcd_rss:.0f} MiB"
            )
        finally:
            plane.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse flags and print the measurements."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cold-build", action="store_true", help="time a build into a temp cache")
    ap.add_argument("--fresh-gocache", action="store_true", help="with --cold-build: also empty GOCACHE")
    ap.add_argument("--rounds", type=int, default=2, help="starts per generation")
    ap.add_argument("--generation", choices=GENERATIONS, action="append")
    args = ap.parse_args(argv)
    print("pinned:", ", ".join(f"{k} {v}" for k, v in binaries.pinned_versions().items()))
    if args.cold_build:
        cold_build(args.fresh_gocache)
    t0 = time.monotonic()
    for name in binaries.TOOLS:
        binaries.resolve(name)
    print(f"cached binaries resolved in {time.monotonic() - t0:.2f}s")
    for gen in args.generation or GENERATIONS:
        start_to_ready(gen, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
