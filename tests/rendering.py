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
]
GENERATION_FLAGS: dict[str, list[str]] = {"current": [], "legacy": LEGACY_FLAGS}
# Built-in kinds: no CRD in the shared sets (which hold every provider's, the Prometheus operator's too).
NOT_IN_CRDS = {"Service", "Role", "RoleBinding"}
# IPAM on, and pool "b" opted out: it takes node addresses from cluster.ipv4Config (beside the range).
MIXED_ADDRESSING: dict[str, Any] = {
    "cluster": {"ipv4Config": {"addresses": ["192.168.100.2-192.168.100.9"], "gateway": "192.168.100.1", "prefix": 24}},
    "nodePools": [
        {"name": "a", "replicas": 1},
        {"name": "b", "replicas": 1, "network": {"addressesFromPools": {"enabled": False}}},
    ],
}


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


def without_libyaml(code: str) -> str:
    """Stdout of ``code`` run in a child process whose PyYAML behaves as if built without libyaml."""
    script = "import sys; sys.modules['yaml._yaml'] = None\n" + code
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
    return out.stdout
