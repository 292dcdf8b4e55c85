"""Cold start: `capi-kamaji-proxmox template` against `helm template` of the Clastix chart 0.0.4,
each with the chart's default values, as whole processes, in pairs (the order inside each pair
alternates so drift in machine load hits both alike). Prints medians, the ratio and peak memory;
asserts nothing. Also prints, unpaired, the interpreter floor and the other start-up paths.

Python processes run with a bytecode cache (``PYTHONPYCACHEPREFIX`` in a temporary directory,
``PYTHONDONTWRITEBYTECODE`` dropped), as an installed package has its ``.pyc`` files: without it,
an environment that sets ``PYTHONDONTWRITEBYTECODE`` compiles every module of the tool on every
start and the figure measures the compiler.

Run from the repository root: python bench/cold_template.py [--pairs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness import binaries  # noqa: E402
from tests.paths import shared_dir  # noqa: E402

CLI = [sys.executable, "-m", "capi_kamaji_proxmox.cli.main"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="ckp-bench-pycache-")


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system) of one process, output discarded.

    CPU time is printed too because it suffers less than wall time when the machine is busy."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return took, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_ms(samples: list[tuple[float, float, float]]) -> str:
    wall, rss, cpu = (statistics.median(s[i] for s in samples) for i in range(3))
    return f"{wall * 1000:7.1f} ms  {rss:5.1f} MiB  {cpu * 1000:7.1f} ms CPU"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pairs", type=int, default=21, help="paired runs (default 21)")
    p.add_argument("--runs", type=int, default=11, help="runs of each unpaired command (default 11)")
    args = p.parse_args()
    chart = shared_dir() / "anchors" / "capi-kamaji-proxmox-0.0.4"
    helm = [str(binaries.resolve("helm")), "template", "demo", str(chart)]
    ours = [*CLI, "template", "demo"]
    for cmd in (helm, ours, helm, ours):  # warm the page cache and the bytecode cache
        run(cmd)
    pairs: list[tuple[tuple[float, float, float], tuple[float, float, float]]] = []
    for i in range(args.pairs):
        if i % 2:
            o = run(ours)
            h = run(helm)
        else:
            h = run(helm)
            o = run(ours)
        pairs.append((h, o))
    helm_s = [h for h, _ in pairs]
    ours_s = [o for _, o in pairs]
    ratios = [o[0] / h[0] for h, o in pairs]
    cpu_ratios = [o[2] / h[2] for h, o in pairs]
    print(f"cold start, chart default values, {args.pairs} paired runs (medians: wall time, peak RSS, CPU time):")
    print(f"  helm template (chart 0.0.4)          {median_ms(helm_s)}")
    print(f"  capi-kamaji-proxmox template         {median_ms(ours_s)}")
    print(
        f"  ratio ours/helm: median of pairs {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); of medians "
        f"{statistics.median(s[0] for s in ours_s) / statistics.median(s[0] for s in helm_s):.2f}; "
        f"CPU time: median of pairs {statistics.median(cpu_ratios):.2f}"
    )
    print(f"unpaired, {args.runs} runs each (medians):")
    example = str(REPO / "examples" / "chart-defaults.yaml")
    for label, cmd in (
        ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"]),
        ("capi-kamaji-proxmox --help", [*CLI, "--help"]),
        ("capi-kamaji-proxmox lint -f chart-defaults", [*CLI, "lint", "-f", example]),
        ("capi-kamaji-proxmox values show", [*CLI, "values", "show"]),
        ("capi-kamaji-proxmox template -f chart-defaults", [*CLI, "template", "demo", "-f", example]),
    ):
        print(f"  {label:46s} {median_ms([run(cmd) for _ in range(args.runs)])}")
    load = os.getloadavg()[0]
    print(f"(load average while measuring: {load:.2f} on {os.cpu_count()} CPUs; bytecode cached)")


if __name__ == "__main__":
    main()
