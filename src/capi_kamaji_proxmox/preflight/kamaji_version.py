"""Is cluster.version inside what the installed Kamaji release supports?

The table is the one place that knows Kamaji's supported tenant versions; its rows come from
Kamaji's versioning page (docs/content/reference/versioning.md in clastix/kamaji, see
docs/upgrades.md). Edge releases (``edge-YY.M.N``) are not listed there, so an edge or any
other unknown tag is a warning, never a guess.

The Kamaji controller is found by its Deployment in the management cluster: first by the Helm
chart's label ``app.kubernetes.io/name=kamaji``, then by a container image named ``kamaji``.
"""

from __future__ import annotations

import re
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.errors import ApiError, Forbidden
from capi_kamaji_proxmox.lifecycle.version_steps import parse
from capi_kamaji_proxmox.proxmox.preflight import CheckResult

# Kamaji release -> (oldest, newest) tenant Kubernetes version it supports.
SUPPORTED: dict[str, tuple[str, str]] = {
    "v1.0.0": ("v1.21.0", "v1.30.2"),
}
NAME = "kamaji-version"
LABEL = {"app.kubernetes.io/name": "kamaji"}
_IMAGE = re.compile(r"(^|/)kamaji(:(?P<tag>[^@/]+))?(@.*)?$")


def image_tag(deployment: dict[str, Any]) -> str | None:
    """The tag of the container image named ``kamaji`` (``""`` when it has none)."""
    containers = ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    for c in containers:
        m = _IMAGE.search(str(c.get("image") or ""))
        if m:
            return m["tag"] or ""
    return None


def find_kamaji(client: KubeClient) -> tuple[str, str] | None:
    """(namespace/name, image tag) of the Kamaji controller Deployment, or None."""
    labelled = kube.list_objects(client, "apps/v1", "Deployment", all_namespaces=True, label_selector=LABEL)
    candidates = labelled or kube.list_objects(client, "apps/v1", "Deployment", all_namespaces=True)
    for d in candidates:
        tag = image_tag(d)
        if tag is not None:
            meta = d.get("metadata") or {}
            return f"{meta.get('namespace')}/{meta.get('name')}", tag
    return None


def judge(tag: str, version: str, where: str = "") -> CheckResult:
    """The verdict for one Kamaji image tag and one requested Kubernetes version (pure)."""
    at = f" ({where})" if where else ""
    window = SUPPORTED.get(tag)
    if window is None:
        return CheckResult(
            NAME,
            "warn",
            f"Kamaji {tag or '(untagged image)'}{at}: its supported Kubernetes versions are not in this tool's "
            f"table, {version} not checked",
            "check Kamaji's release notes for the tenant versions this release supports",
        )
    low, high = window
    v, lo, hi = parse(version), parse(low), parse(high)
    if lo <= v <= hi:
        return CheckResult(NAME, "pass", f"Kamaji {tag}{at} supports {version} ({low} .. {high})")
    if v[:2] == hi[:2] and v > hi:
        return CheckResult(
            NAME,
            "warn",
            f"Kamaji {tag}{at} documents support up to {high}; {version} is a newer patch of that minor",
            "check Kamaji's release notes, or use a documented patch version",
        )
    return CheckResult(
        NAME,
        "fail",
        f"Kamaji {tag}{at} supports Kubernetes {low} .. {high}; cluster.version {version} is outside",
        "upgrade Kamaji first, or choose a version in that window",
    )


def check_kamaji_version(client: KubeClient, version: str | None) -> CheckResult:
    if not version:
        return CheckResult(NAME, "warn", "no cluster.version to check", "set cluster.version")
    try:
        found = find_kamaji(client)
    except Forbidden:
        return CheckResult(
            NAME,
            "warn",
            "may not list Deployments, so the Kamaji release is unknown and its version window not checked",
            "run doctor with a user allowed to list deployments.apps in all namespaces",
        )
    except ApiError as exc:
        return CheckResult(NAME, "warn", f"could not list Deployments ({exc}); Kamaji's window not checked", "")
    if found is None:
        return CheckResult(
            NAME,
            "warn",
            "no Kamaji controller Deployment found (label app.kubernetes.io/name=kamaji or an image named kamaji); "
            "its version window not checked",
            "install Kamaji in the management cluster",
        )
    where, tag = found
    return judge(tag, version, where)
