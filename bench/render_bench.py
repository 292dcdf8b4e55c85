"""Render speed: cold-process `template` on the shipped examples, and in-process throughput.

Prints figures; asserts nothing. Run: python bench/render_bench.py [--clusters 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from capi_kamaji_proxmox.render.apis import ApiVersions  # noqa: E402
from capi_kamaji_proxmox.render.engine import render  # noqa: E402
from capi_kamaji_proxmox.values.load import validate_config  # noqa: E402


def cold(runs: int) -> None:
    print(f"cold process `capi-kamaji-proxmox template` (median of {runs} runs):")
    baseline = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - t)
    print(f"  {'python -c pass (baseline)':32s} {statistics.median(baseline) * 1000:7.1f} ms")
    for example in sorted((REPO / "examples").glob("*.yaml")):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", "template", "demo", "-f", str(example)],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - t)
        print(f"  {example.name:32s} {statistics.median(times) * 1000:7.1f} ms")


def throughput(clusters: int) -> None:
    pools = [{"name": f"pool{i}", "replicas": 2, "memoryMiB": 4096 * (i + 1)} for i in range(3)]
    apis = {"current": ApiVersions.current(), "legacy": ApiVersions.from_flags(["cluster.x-k8s.io/v1beta1"])}
    for gen, api in apis.items():
        t = time.perf_counter()
        objects = 0
        for n in range(clusters):
            loaded = validate_config({"cluster": {"name": f"c{n}"}, "nodePools": pools}, release_name=f"c{n}")
            objects += len(render(loaded.values, release_name=f"c{n}", namespace="bench", apis=api))
        took = time.perf_counter() - t
        print(
            f"in-process validate+render, {clusters} clusters x 3 pools ({gen}): {took:.2f} s, "
            f"{clusters / took:.0f} clusters/s, {objects / took:.0f} objects/s"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--clusters", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    cold(args.runs)
    throughput(args.clusters)


if __name__ == "__main__":
    main()
