"""Extra preflight checks contributed by other features (autoscaler, add-ons, ...).

A feature module calls :func:`register` at import time with a function that gets the same inputs
``doctor`` has and returns its results; ``run_preflight`` runs every registered check after the
management-cluster checks and before Proxmox VE, so ``doctor``, ``install`` and ``upgrade`` all see
them. A check that raises becomes one fail line naming it, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.proxmox.preflight import CheckResult
from capi_kamaji_proxmox.values.load import LoadedValues

__all__ = ["Check", "PreflightInput", "register", "registered", "run_registered", "unregister"]


@dataclass(frozen=True)
class PreflightInput:
    """What every check may look at: the management cluster, the release namespace, the values."""

    client: KubeClient
    namespace: str
    loaded: LoadedValues
    release: str


Check = Callable[[PreflightInput], list[CheckResult]]
_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add (or replace) the check called ``name``; results keep registration order."""
    _CHECKS[name] = check


def unregister(name: str) -> None:
    _CHECKS.pop(name, None)


def registered() -> list[str]:
    return list(_CHECKS)


def run_registered(inp: PreflightInput) -> list[CheckResult]:
    """Every registered check in order; an exception is that check's failure."""
    out: list[CheckResult] = []
    for name, check in list(_CHECKS.items()):
        try:
            out.extend(check(inp))
        except Exception as exc:  # a contributed check must not take doctor down
            out.append(
                CheckResult(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}", "report this bug")
            )
    return out
