"""Shared helpers for tests that render values (unit, schema and integration tiers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from capi_kamaji_proxmox.render.apis import ApiVersions
from capi_kamaji_proxmox.render.engine import render
from capi_kamaji_proxmox.values.load import validate_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
LEGACY_FLAGS = [
    "cluster.x-k8s.io/v1beta1",
    "bootstrap.cluster.x-k8s.io/v1beta1",
    "infrastructure.cluster.x-k8s.io/v1alpha1",
    "controlplane.cluster.x-k8s.io/v1alpha1",
    # one group, two kinds in different versions: ClusterResourceSet (CAPI) and HelmChartProxy (CAAPH)
    "addons.cluster.x-k8s.io/v1beta1",
    "addons.cluster.x-k8s.io/v1alpha1",
]
GENERATION_FLAGS: dict[str, list[str]] = {"current": [], "legacy": LEGACY_FLAGS}
# Kinds whose CRDs are not in the shared sets (built-in kinds, and the Prometheus operator's).
NOT_IN_CRDS = {"Service", "Role", "RoleBinding", "ServiceMonitor", "ConfigMap"}


def apis_for(generation: str) -> ApiVersions:
    flags = GENERATION_FLAGS[generation]
    return ApiVersions.from_flags(flags) if flags else ApiVersions.current()


def render_config(
    config: dict[str, Any], *, generation: str = "current", release: str = "demo", namespace: str = "default"
) -> list[dict[str, Any]]:
    loaded = validate_config(config, release_name=release)
    return render(loaded.values, release_name=release, namespace=namespace, apis=apis_for(generation))


def by_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def names(objs: list[dict[str, Any]], kind: str) -> list[str]:
    return [o["metadata"]["name"] for o in by_kind(objs, kind)]


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
    )
