"""Kubernetes label syntax, shared by every values key that becomes labels."""

from __future__ import annotations

import re

# The pattern texts (the JSON Schema states them too) and their compiled forms.
LABEL_KEY_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE_PATTERN = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"
LABEL_KEY = re.compile(LABEL_KEY_PATTERN)
LABEL_VALUE = re.compile(LABEL_VALUE_PATTERN)


def label_problems(key: str, labels: dict[str, str] | None) -> list[str]:
    """One line per invalid key or value, naming the values key."""
    out: list[str] = []
    for k, v in (labels or {}).items():
        if not LABEL_KEY.match(k) or len(k) > 317:
            out.append(f"{key}: {k!r} is not a valid label key")
        if not LABEL_VALUE.match(v):
            out.append(f"{key}: value {v!r} of {k!r} is not a valid label value")
    return out
