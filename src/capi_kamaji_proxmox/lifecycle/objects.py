"""Identity and comparison of manifest objects across revisions and the live server."""

from __future__ import annotations

import copy
from typing import Any

from capi_kamaji_proxmox.kube.apply import ObjectRef

TEMPLATE_KINDS = ("ProxmoxMachineTemplate", "KubeadmConfigTemplate")
# Server-populated metadata that never counts as a difference.
SERVER_META = (
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
    "finalizers",
    "ownerReferences",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


def key(obj: dict[str, Any]) -> tuple[str, str, str]:
    """Identity across API versions: group, kind, name (the namespace is the release's)."""
    group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
    return (group, obj["kind"], obj["metadata"]["name"])


def ref(obj: dict[str, Any], namespace: str) -> ObjectRef:
    return ObjectRef(
        obj["apiVersion"], obj["kind"], obj["metadata"]["name"], obj["metadata"].get("namespace") or namespace
    )


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without server-populated fields and status, for diffs."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for k in SERVER_META:
        meta.pop(k, None)
    anns = meta.get("annotations")
    if isinstance(anns, dict):
        anns.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        if not anns:
            meta.pop("annotations", None)
    return out


def drop_empty(value: Any) -> Any:
    """Recursively drop None/""/[]/{}: the chart renders empties, we omit them; both mean unset."""
    if isinstance(value, dict):
        out = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a.b[0].c": leaf}``: for naming exactly which settings differ."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def field_changes(old: Any, new: Any) -> list[str]:
    """``memoryMiB 8192 -> 16384`` lines for leaves that differ."""
    a, b = flatten(old), flatten(new)
    lines = []
    for path in sorted(set(a) | set(b)):
        if a.get(path) != b.get(path):
            lines.append(f"{path} {_show(a.get(path))} -> {_show(b.get(path))}")
    return lines


def _show(v: Any) -> str:
    if v is None:
        return "(unset)"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)
