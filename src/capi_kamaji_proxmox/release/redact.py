"""Keep secret values out of release records.

Release records are readable by anyone who can read Secrets in the release namespace and are
printed by ``helm get values``, so the Proxmox API token (and similar credentials) must never be
stored in ``config``. Every record passes its ``config`` through :func:`redact_secrets` when it is
encoded. Which keys are secret is owned by the values layer: it calls :func:`register_secret_path`
for each path (``"*"`` matches any single key, e.g. per-pool maps). Matching keys are *removed*,
not masked: a placeholder would be taken for the real token by ``helm upgrade --reuse-values``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["SECRET_PATHS", "redact_secrets", "register_secret_path"]

# Conservative defaults for the Proxmox credentials; the values layer adds its own paths.
SECRET_PATHS: list[tuple[str, ...]] = [
    ("proxmox", "token"),
    ("proxmox", "tokenSecret"),
    ("proxmox", "secret", "token"),
    ("proxmox", "secret", "tokenSecret"),
    ("proxmox", "password"),
    ("proxmox", "credentials", "token"),
    ("proxmox", "credentials", "secret"),
    ("proxmox", "credentials", "tokenSecret"),
]


def register_secret_path(*path: str) -> None:
    """Declare ``path`` (keys from the values root; ``"*"`` = any key) as secret."""
    if not path:
        raise ValueError("empty secret path")
    if path not in SECRET_PATHS:
        SECRET_PATHS.append(tuple(path))


def _drop(node: Any, path: tuple[str, ...]) -> None:
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    keys = list(node) if head == "*" else [head] if head in node else []
    for k in keys:
        if rest:
            _drop(node[k], rest)
        else:
            del node[k]


def redact_secrets(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """A deep copy of ``values`` without any key listed in :data:`SECRET_PATHS`."""
    out: dict[str, Any] = copy.deepcopy(dict(values or {}))
    for path in SECRET_PATHS:
        _drop(out, path)
    return out
