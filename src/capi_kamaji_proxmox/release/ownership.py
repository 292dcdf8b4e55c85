"""Helm's ownership metadata on applied objects.

helm refuses to adopt an existing object unless it carries these three keys with the exact
release name and namespace (``shared/docs/helm-release-format.md`` section 8), so everything the
tool applies is stamped with them; then ``helm upgrade``/``rollback``/``uninstall`` treat the
objects as their own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MANAGED_BY_LABEL",
    "MANAGED_BY_VALUE",
    "RELEASE_NAMESPACE_ANNOTATION",
    "RELEASE_NAME_ANNOTATION",
    "helm_ownership",
    "ownership_problems",
    "stamp_ownership",
]

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "Helm"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"


def helm_ownership(release_name: str, namespace: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(labels, annotations)`` that mark an object as owned by the release."""
    return (
        {MANAGED_BY_LABEL: MANAGED_BY_VALUE},
        {RELEASE_NAME_ANNOTATION: release_name, RELEASE_NAMESPACE_ANNOTATION: namespace},
    )


def stamp_ownership(obj: Mapping[str, Any], release_name: str, namespace: str) -> dict[str, Any]:
    """A copy of ``obj`` with the ownership label and annotations set (overriding old values)."""
    out: dict[str, Any] = copy.deepcopy(dict(obj))
    meta = out.setdefault("metadata", {})
    labels, annotations = helm_ownership(release_name, namespace)
    meta["labels"] = {**(meta.get("labels") or {}), **labels}
    meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
    return out


def ownership_problems(obj: Mapping[str, Any], release_name: str, namespace: str) -> list[str]:
    """Why helm would refuse to import ``obj`` (a live object) into the release; empty = OK."""
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    out = []
    want_labels, want_annotations = helm_ownership(release_name, namespace)
    for key, want in want_labels.items():
        have = labels.get(key)
        if have is None:
            out.append(f'label validation error: missing key "{key}": must be set to "{want}"')
        elif have != want:
            out.append(f'label validation error: key "{key}" must equal "{want}": current value is "{have}"')
    for key, want in want_annotations.items():
        have = annotations.get(key)
        if have is None:
            out.append(f'annotation validation error: missing key "{key}": must be set to "{want}"')
        elif have != want:
            out.append(f'annotation validation error: key "{key}" must equal "{want}": current value is "{have}"')
    return out
