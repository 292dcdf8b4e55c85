"""Refusals that protect a release before anything is written."""

from __future__ import annotations

import re
from collections.abc import Callable

from capi_kamaji_proxmox.lifecycle.errors import RefusedChange, ReleaseBusy
from capi_kamaji_proxmox.lifecycle.holder import Holder
from capi_kamaji_proxmox.lifecycle.records import CHART_NAME
from capi_kamaji_proxmox.release.record import Release, Status
from capi_kamaji_proxmox.release.storage import ReleaseConflict, SecretStorage

_PENDING_VERB = {
    Status.PENDING_INSTALL: "install",
    Status.PENDING_UPGRADE: "upgrade",
    Status.PENDING_ROLLBACK: "rollback",
    Status.UNINSTALLING: "uninstall",
}


def refuse_foreign(hist: list[Release], verb: str) -> None:
    """Only this tool's releases (and the Clastix chart's, same name) are ours to change."""
    if not hist:
        return
    last = hist[-1]
    chart = last.chart.metadata if last.chart else None
    if chart is not None and chart.name == CHART_NAME:
        return
    found = f"chart {chart.name}-{chart.version}" if chart else "no chart"
    raise RefusedChange(
        f"cannot {verb} release {last.name!r} in namespace {last.namespace!r}: it was installed from {found}, not "
        f"{CHART_NAME}; this tool only changes its own releases (manage that one with helm), nothing was written"
    )


def _busy(last: Release, verb: str, holder: Holder) -> ReleaseBusy:
    other = _PENDING_VERB.get(last.status, last.status.value)
    return ReleaseBusy(
        f"cannot {verb} release {last.name!r}: another operation ({other} of revision {last.version}) is in "
        f"progress, {holder.describe()}; wait for it to finish (a holder that is gone is taken over once its "
        "lease expires)"
    )


def refuse_busy(hist: list[Release], verb: str) -> Release | None:
    """One operation at a time. A pending latest record whose holder is alive refuses ``verb``
    (naming the holder and its age); one whose holder is gone is returned, to be taken over."""
    if not hist:
        return None
    last = hist[-1]
    if last.status is Status.UNINSTALLING:
        if verb == "uninstall":
            return None  # resuming an interrupted uninstall is the way out of that state
        raise ReleaseBusy(
            f"cannot {verb} release {last.name!r}: it is being uninstalled (revision {last.version}); run "
            f"`capi-kamaji-proxmox uninstall {last.name} -n {last.namespace}` again to finish it"
        )
    if not last.status.is_pending:
        return None
    holder = Holder.of(last)
    if holder.alive():
        raise _busy(last, verb, holder)
    return last


def take_over(storage: SecretStorage, stale: Release, verb: str, say: Callable[[str], None]) -> Release:
    """Mark a pending revision whose holder is gone failed, conditionally on its resourceVersion, so
    that of two processes taking it over exactly one proceeds."""
    other = _PENDING_VERB.get(stale.status, stale.status.value)
    say(
        f"taking over the interrupted {other} of revision {stale.version} ({Holder.of(stale).describe()}; "
        f"that process is gone): marking it failed, then this {verb} converges from there"
    )
    taken = stale.model_copy(deep=True)
    taken.info.status = Status.FAILED
    taken.info.description = f"{stale.info.description} (interrupted; taken over by {verb})"
    try:
        return storage.update(taken)
    except ReleaseConflict:
        raise ReleaseBusy(
            f"cannot {verb} release {stale.name!r}: another operation took over revision {stale.version} first"
        ) from None


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
