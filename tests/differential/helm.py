"""Render the chart with the harness's real helm."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.differential.corpus import CHART_DIR


def helm_template(helm: Path, values_file: Path, *, release: str, namespace: str) -> list[dict[str, Any]]:
    """``helm template`` of the chart, as a list of objects (helm's errors fail loudly)."""
    result = subprocess.run(
        [str(helm), "template", release, str(CHART_DIR), "-f", str(values_file), "-n", namespace],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"helm template failed: {result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
