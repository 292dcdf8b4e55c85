"""Print how many objects per second the offline CRD validator admits (current-full fixture).

Why: property-based schema tests validate hundreds of rendered objects; this shows the budget.
Run: ``python bench/crd_validator_bench.py [seconds]`` from the repo root.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.schema.crd_validator import CRDSet, shared_dir


def main(seconds: float = 2.0) -> None:
    """Validate the current-full fixture repeatedly and print objects/second."""
    t0 = time.perf_counter()
    crds = CRDSet.load("current")
    load_s = time.perf_counter() - t0
    fixture = shared_dir() / "docs" / "api-generations-check" / "current-full.yaml"
    docs = [d for d in yaml.safe_load_all(fixture.read_text(encoding="utf-8")) if d]
    t0 = time.perf_counter()
    for doc in docs:  # first use compiles schemas and CEL programs
        errors = crds.validate(doc)
        if errors:
            raise SystemExit(f"fixture rejected: {errors}")
    warm_s = time.perf_counter() - t0
    count = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for doc in docs:
            crds.validate(doc)
        count += len(docs)
    rate = count / (time.perf_counter() - t0)
    print(f"load CRDs: {load_s:.2f}s, first validation (compile): {warm_s:.2f}s")
    print(f"current-full: {rate:.0f} objects/s ({1000 / rate:.2f} ms/object, {len(docs)} kinds)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
