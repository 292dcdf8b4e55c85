"""A fleet: N clusters x 3 node pools rendered to YAML text. This project in one process through
the public API (``api.render`` + ``api.to_yaml``: validate, render, dump) against one
``helm template`` process per cluster of the Clastix chart 0.0.4 (helm cannot render several
releases in one process). Helm runs a sample of the fleet (``--helm-clusters``, default 100) and
its time is scaled to the fleet linearly, which the output says. Both get the same values files
(full pool entries: the chart cannot default a pool). Prints; asserts nothing.

Run from the repository root: python bench/fleet_render.py [--clusters 1000] [--helm-clusters 100]
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from capi_kamaji_proxmox import api  # noqa: E402
from capi_kamaji_proxmox.render import output, pyyaml_writer  # noqa: E402
from tests.harness import binaries  # noqa: E402
from tests.paths import shared_dir  # noqa: E402

CHART = shared_dir() / "anchors" / "capi-kamaji-proxmox-0.0.4"


def fleet_values(n: int) -> list[dict[str, Any]]:
    """Cluster ``c<i>`` with pools workers/storage/batch, each a full copy of the chart's pool."""
    base = yaml.safe_load((CHART / "values.yaml").read_text())["nodePools"][0]
    fleet = []
    for i in range(n):
        pools = []
        for j, name in enumerate(("workers", "storage", "batch")):
            pool = copy.deepcopy(base)
            pool.update(name=name, replicas=1 + (i + j) % 5, memoryMiB=4096 * (j + 1))
            pools.append(pool)
        fleet.append({"cluster": {"name": f"c{i}"}, "nodePools": pools})
    return fleet


def ours(fleet: list[dict[str, Any]]) -> tuple[float, float, int]:
    """Wall and CPU seconds of the whole fleet in this process, and the bytes of YAML."""
    warnings.simplefilter("ignore", api.ValuesWarning)  # the chart's pool sets templateId and a selector
    t, c = time.perf_counter(), time.process_time()
    size = 0
    for i, values in enumerate(fleet):
        size += len(api.to_yaml(api.render(values, release_name=f"c{i}", namespace="fleet")))
    return time.perf_counter() - t, time.process_time() - c, size


def writers(fleet: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """CPU seconds of YAML writing alone for the fleet's objects, per writer (the baselines of
    ``api.to_yaml``'s direct writer: libyaml's emitter, used before it, and PyYAML's reference)."""
    objects = [o for i, v in enumerate(fleet) for o in api.render(v, release_name=f"c{i}", namespace="fleet")]
    candidates = [("direct writer (api.to_yaml)", output.to_yaml), ("pure-Python PyYAML", output.to_yaml_pure)]
    if pyyaml_writer.CDumper is not None:
        candidates.insert(1, ("libyaml C emitter", lambda o: pyyaml_writer.dump(o, pyyaml_writer.CDumper)))
    figures = []
    for name, write in candidates:
        c = time.process_time()
        for obj in objects:
            write(obj)
        figures.append((name, time.process_time() - c))
    return figures


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def helm(fleet: list[dict[str, Any]], sample: int) -> tuple[float, float, int]:
    """Wall and CPU seconds (the helm processes') of ``sample`` clusters, and the bytes of YAML."""
    binary = str(binaries.resolve("helm"))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, values in enumerate(fleet[:sample]):
            path = Path(tmp) / f"c{i}.yaml"
            path.write_text(yaml.safe_dump(values))
            files.append(path)
        t, c = time.perf_counter(), children_cpu()
        size = 0
        for i, path in enumerate(files):
            cmd = [binary, "template", f"c{i}", str(CHART), "-f", str(path), "-n", "fleet"]
            size += len(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        return time.perf_counter() - t, children_cpu() - c, size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--clusters", type=int, default=1000)
    p.add_argument("--helm-clusters", type=int, default=100, help="helm processes actually run (scaled up)")
    args = p.parse_args()
    fleet = fleet_values(args.clusters)
    sample = min(args.helm_clusters, args.clusters)
    took, cpu, size = ours(fleet)
    print(f"fleet of {args.clusters} clusters x 3 pools, validate + render + YAML text (wall; CPU):")
    print(
        f"  capi-kamaji-proxmox, one process: {took:7.2f} s; {cpu:7.2f} s CPU  "
        f"({took / args.clusters * 1000:.2f} ms per cluster, {size / args.clusters / 1024:.1f} KiB of YAML each)"
    )
    h_took, h_cpu, h_size = helm(fleet, sample)
    scale = args.clusters / sample
    how = "measured" if sample == args.clusters else f"{sample} run, scaled x{scale:g}"
    print(
        f"  helm template, one process per cluster ({how}): {h_took * scale:7.2f} s; {h_cpu * scale:7.2f} s CPU  "
        f"({h_took / sample * 1000:.1f} ms per cluster, {h_size / sample / 1024:.1f} KiB of YAML each)"
    )
    print(f"  ours faster by: {h_took * scale / took:.1f}x wall, {h_cpu * scale / cpu:.1f}x CPU")
    print("YAML writing alone, the same objects (CPU):")
    for name, seconds in writers(fleet):
        print(f"  {name:30} {seconds:6.2f} s")
    print(f"(load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
