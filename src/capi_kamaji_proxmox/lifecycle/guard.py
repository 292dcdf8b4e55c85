"""Refusals that protect a release before anything is written."""

from __future__ import annotations

import re

from capi_kamaji_proxmox.lifecycle.errors import RefusedChange, ReleaseBusy
from capi_kamaji_proxmox.release.record import Release, Status, format_time

_PENDING_VERB = {
    Status.PENDING_INSTALL: "install",
    Status.PENDING_UPGRADE: "upgrade",
    Status.PENDING_ROLLBACK: "rollback",
    Status.UNINSTALLING: "uninstall",
}


def refuse_if_busy(last: Release, verb: str) -> None:
    """One operation at a time: a pending latest record blocks every other verb."""
    if not last.status.is_pending and last.status is not Status.UNINSTALLING:
        return
    if last.status is Status.UNINSTALLING and verb == "uninstall":
        return  # resuming an interrupted uninstall is the way out of that state
    since = format_time(last.info.last_deployed) or "an unknown time"
    other = _PENDING_VERB.get(last.status, last.status.value)
    hint = (
        f"run `capi-kamaji-proxmox uninstall {last.name} -n {last.namespace}` again to finish it"
        if last.status is Status.UNINSTALLING
        else f"if that process is no longer running, recover with `capi-kamaji-proxmox rollback {last.name} "
        f"-n {last.namespace}` and try again"
    )
    raise ReleaseBusy(
        f"cannot {verb} release {last.name!r}: another operation ({other} of revision {last.version}) is in "
        f"progress since {since}; wait for it to finish, or {hint}"
    )


_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def refuse_minor_skip(old: str | None, new: str | None) -> None:
    """The hosted control plane upgrades one minor at a time; refuse a skip before writing."""
    if not old or not new:
        return
    a, b = _VERSION.match(old), _VERSION.match(new)
    if not a or not b:
        return
    (om, on), (nm, nn) = (int(a[1]), int(a[2])), (int(b[1]), int(b[2]))
    if nm != om or nn - on > 1:
        step = f"v{om}.{on + 1}" if nm == om else "the next minor"
        raise RefusedChange(
            f"cluster.version {old} -> {new} skips Kubernetes minor versions; the control plane can only move "
            f"one minor at a time (Kamaji refuses skips): upgrade to {step}.x first, then on"
        )
    if (nm, nn) < (om, on):
        raise RefusedChange(
            f"cluster.version {old} -> {new} is a downgrade of the minor version, which Kubernetes does not support"
        )
