"""The Cluster Autoscaler's settings that depend on other keys: its image tag and its checks.

The autoscaler must match the workload cluster's Kubernetes minor, and only releases that read
Cluster API v1beta2 references (``infrastructureRef.apiGroup``) can scale this tool's pools in
the current API generation, so the default tag is the newest such patch of ``cluster.version``'s
minor. The table lives here and nowhere else (the README's copy is checked against it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from capi_kamaji_proxmox.values import fast

if TYPE_CHECKING:  # annotations only: a valid template never loads the pydantic models
    from capi_kamaji_proxmox.values.model import AutoscalerValues, NodePool, Values


DEFAULT_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"
KUBECONFIG_KEY = "value"

# Kubernetes minor -> Cluster Autoscaler tag (latest patch handling v1beta2 references), as of 2026-11.
IMAGE_TAGS: dict[str, str] = {
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}

_MINOR = re.compile(r"^v?(\d+)\.(\d+)\.")


def settings(values: Values) -> AutoscalerValues:
    return values.autoscaler or fast.make("AutoscalerValues")


def enabled(values: Values) -> bool:
    return bool(values.autoscaler and values.autoscaler.enabled)


def autoscaled_pools(values: Values) -> list[NodePool]:
    return [p for p in values.node_pools or [] if p.autoscaling and p.autoscaling.enabled]


def minor(version: str) -> str | None:
    """``"v1.33.4"`` -> ``"1.33"`` (None when the version has no minor)."""
    m = _MINOR.match(version)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def default_tag(version: str) -> str | None:
    """The table's tag for the Kubernetes version's minor, or None for a minor not in the table."""
    key = minor(version)
    return IMAGE_TAGS.get(key) if key else None


def image(values: Values) -> str:
    """``repository:tag``; the tag follows ``cluster.version`` unless ``autoscaler.image.tag`` is set."""
    img = settings(values).image
    repo = (img.repository if img else None) or DEFAULT_REPOSITORY
    tag = (img.tag if img else None) or default_tag(values.cluster.version or "" if values.cluster else "") or ""
    return f"{repo}:{tag}"


def kubeconfig_secret(values: Values, cluster: str) -> tuple[str, str]:
    """(Secret name, key) of the workload kubeconfig: Cluster API's ``<cluster>-kubeconfig``/``value``."""
    ref = settings(values).kubeconfig_secret
    return (ref.name if ref else None) or f"{cluster}-kubeconfig", (ref.key if ref else None) or KUBECONFIG_KEY


def problems(values: Values) -> list[str]:
    """Cross-field problems of the ``autoscaler`` section (only when it is enabled)."""
    if not enabled(values):
        return []
    out: list[str] = []
    img = settings(values).image
    version = values.cluster.version if values.cluster else None
    if not (img and img.tag) and version and default_tag(version) is None:
        known = ", ".join(IMAGE_TAGS)
        out.append(
            f"autoscaler.image.tag: no Cluster Autoscaler release is known for Kubernetes {minor(version) or version} "
            f"(cluster.version {version}; known minors: {known}); set autoscaler.image.tag"
        )
    for i, arg in enumerate(settings(values).extra_args or []):
        if not arg.startswith("--"):
            out.append(f"autoscaler.extraArgs[{i}]: expected a flag such as --v=4, got {arg!r}")
        elif arg.split("=", 1)[0] in MANAGED_FLAGS:
            out.append(
                f"autoscaler.extraArgs[{i}]: {arg.split('=', 1)[0]} is set by the tool "
                "(it ties the autoscaler to this cluster); remove it"
            )
    return out


# Flags the rendered Deployment always sets: overriding them would break the per-cluster scoping.
MANAGED_FLAGS = frozenset(
    {"--cloud-provider", "--kubeconfig", "--clusterapi-cloud-config-authoritative", "--node-group-auto-discovery"}
)
