"""Reading status the way both API generations write it.

Cluster API v1beta2 objects keep metav1-style conditions in ``status.conditions`` and the old
v1beta1 ones under ``status.deprecated.v1beta1``; v1beta1 objects written by CAPI >= 1.9 carry the
new conditions under ``status.v1beta2`` next to their own. KamajiControlPlane v1alpha2 renamed
``initialized``/``updatedReplicas``. Every accessor here takes the object as served and hides
those differences, so the views never branch on the generation themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name"
SET_NAME_LABEL = "cluster.x-k8s.io/set-name"
AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"

# Pseudo-condition carrying v1beta1 failureReason/failureMessage (terminal errors).
FAILURE = "Failure"
# v1beta2 condition types where True means "something is going on", not "healthy".
NEGATIVE_POLARITY = frozenset(
    {"Deleting", "Paused", "RollingOut", "ScalingUp", "ScalingDown", "Remediating", "Updating"}
)


def dig(obj: Mapping[str, Any] | None, *path: str) -> Any:
    """``obj[a][b]...`` or None when any step is missing or not a mapping."""
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def as_int(value: Any) -> int | None:
    """Integer fields may be absent (controllers omit zero values in v1beta2)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def meta(obj: Mapping[str, Any], key: str) -> Any:
    return dig(obj, "metadata", key)


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj, "name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj, "namespace") or "")


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    labels = meta(obj, "labels")
    return dict(labels) if isinstance(labels, Mapping) else {}


def deleting(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj, "deletionTimestamp"))


def parse_ts(value: Any) -> datetime | None:
    """RFC 3339 timestamps as the API server writes them (second precision, ``Z``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(value: Any, now: datetime | None = None) -> str:
    """kubectl-style age: ``42s``, ``5m``, ``3h``, ``2d``."""
    ts = parse_ts(value)
    if ts is None:
        return "?"
    secs = max(0, int(((now or datetime.now(UTC)) - ts).total_seconds()))
    if secs < 120:
        return f"{secs}s"
    if secs < 2 * 3600:
        return f"{secs // 60}m"
    if secs < 2 * 86400:
        return f"{secs // 3600}h"
    return f"{secs // 86400}d"


@dataclass(frozen=True)
class Condition:
    """One condition, normalized across metav1 (v1beta2) and CAPI v1beta1 shapes."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    severity: str = ""
    last_transition: str = ""

    @property
    def negative(self) -> bool:
        return self.type in NEGATIVE_POLARITY

    @property
    def failing(self) -> bool:
        """A positive condition that is not True: the usual answer to "why is it not ready"."""
        if self.type == FAILURE:
            return True
        return not self.negative and self.status != "True"

    @property
    def active(self) -> bool:
        """A negative-polarity condition that is True: an operation in progress (rollout, deletion)."""
        return self.negative and self.status == "True"

    def to_dict(self) -> JSON:
        out: JSON = {"type": self.type, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.message:
            out["message"] = self.message
        if self.severity:
            out["severity"] = self.severity
        if self.last_transition:
            out["lastTransitionTime"] = self.last_transition
        return out

    def text(self) -> str:
        mark = "✗" if self.failing else ("…" if self.active else "✓")
        out = f"{mark} {self.type}" if self.type == FAILURE else f"{mark} {self.type}={self.status}"
        if self.reason:
            out += f" ({self.reason}"
            out += f", {self.severity})" if self.severity else ")"
        if self.message:
            out += ": " + " ".join(self.message.split())
        return out


def _conditions(raw: Any) -> list[Condition]:
    out: list[Condition] = []
    for c in raw if isinstance(raw, list) else []:
        if not isinstance(c, Mapping) or not c.get("type"):
            continue
        out.append(
            Condition(
                type=str(c["type"]),
                status=str(c.get("status", "Unknown")),
                reason=str(c.get("reason") or ""),
                message=str(c.get("message") or ""),
                severity=str(c.get("severity") or ""),
                last_transition=str(c.get("lastTransitionTime") or ""),
            )
        )
    return out


def conditions(obj: Mapping[str, Any]) -> list[Condition]:
    """The object's conditions, newest contract first.

    A v1beta1 Cluster API object from CAPI >= 1.9 carries v1beta2 conditions in
    ``status.v1beta2.conditions``: those are preferred because they are the ones CAPI now
    maintains and they carry the messages; otherwise ``status.conditions`` (v1beta1 style, with
    severity). ``failureReason``/``failureMessage`` (v1beta1, or ``status.deprecated.v1beta1`` in
    v1beta2) become a synthetic ``Failure`` condition so terminal errors are never hidden.
    """
    status = obj.get("status") if isinstance(obj.get("status"), Mapping) else {}
    assert isinstance(status, Mapping)
    newer = _conditions(dig(status, "v1beta2", "conditions"))
    out = newer or _conditions(status.get("conditions"))
    reason = status.get("failureReason") or dig(status, "deprecated", "v1beta1", "failureReason")
    message = status.get("failureMessage") or dig(status, "deprecated", "v1beta1", "failureMessage")
    if reason or message:
        out = [*out, Condition(FAILURE, "True", str(reason or ""), str(message or ""), "Error")]
    return out


def condition(obj: Mapping[str, Any], ctype: str) -> Condition | None:
    for c in conditions(obj):
        if c.type == ctype:
            return c
    return None


def endpoint(obj: Mapping[str, Any]) -> str:
    """``host:port`` of ``spec.controlPlaneEndpoint`` (empty until the control plane has one)."""
    host = dig(obj, "spec", "controlPlaneEndpoint", "host")
    port = dig(obj, "spec", "controlPlaneEndpoint", "port")
    if not host:
        return ""
    return f"{host}:{port}" if port else str(host)


def ref_name(ref: Any) -> str:
    """Name of an object reference in either shape (``apiGroup`` in v1beta2, ``apiVersion`` before)."""
    return str(ref.get("name") or "") if isinstance(ref, Mapping) else ""


def ref_kind(ref: Any) -> str:
    return str(ref.get("kind") or "") if isinstance(ref, Mapping) else ""


def replicas(obj: Mapping[str, Any]) -> dict[str, int | None]:
    """Replica counters of a MachineDeployment/MachineSet/KamajiControlPlane in one shape.

    ``upToDate`` is v1beta2's ``upToDateReplicas`` or v1beta1's ``updatedReplicas`` (same meaning:
    machines built from the current template); for v1beta1 objects the v1beta2 block is used when
    the older field is missing.
    """
    status = obj.get("status") if isinstance(obj.get("status"), Mapping) else {}
    assert isinstance(status, Mapping)
    v2 = status.get("v1beta2") if isinstance(status.get("v1beta2"), Mapping) else {}
    assert isinstance(v2, Mapping)

    def pick(*keys: str) -> int | None:
        for k in keys:
            v = as_int(status.get(k))
            if v is not None:
                return v
        for k in keys:
            v = as_int(v2.get(k))
            if v is not None:
                return v
        return None

    return {
        "desired": as_int(dig(obj, "spec", "replicas")),
        "current": pick("replicas"),
        "upToDate": pick("upToDateReplicas", "updatedReplicas"),
        "ready": pick("readyReplicas"),
        "available": pick("availableReplicas"),
    }


def autoscaling(obj: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(min, max)`` from the cluster-autoscaler annotations, when both are set."""
    ann = meta(obj, "annotations")
    if not isinstance(ann, Mapping):
        return None
    lo, hi = as_int(ann.get(AUTOSCALER_MIN)), as_int(ann.get(AUTOSCALER_MAX))
    if lo is None or hi is None:
        return None
    return lo, hi


def template_refs(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(infrastructure template, bootstrap template) names of a MachineDeployment/MachineSet."""
    tspec = dig(obj, "spec", "template", "spec")
    return ref_name(dig(tspec, "infrastructureRef")), ref_name(dig(tspec, "bootstrap", "configRef"))


def owner_name(obj: Mapping[str, Any], kind: str) -> str:
    for ref in meta(obj, "ownerReferences") or []:
        if isinstance(ref, Mapping) and ref.get("kind") == kind:
            return str(ref.get("name") or "")
    return ""


def kcp_initialized(obj: Mapping[str, Any]) -> bool | None:
    """v1alpha2 ``status.initialization.controlPlaneInitialized``; v1alpha1 ``status.initialized``."""
    v = dig(obj, "status", "initialization", "controlPlaneInitialized")
    if v is None:
        v = dig(obj, "status", "initialized")
    return v if isinstance(v, bool) else None
