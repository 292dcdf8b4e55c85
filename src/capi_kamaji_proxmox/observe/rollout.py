"""Has a version change landed? Readers of provider status, the same for both API generations.

KamajiControlPlane (v1alpha1 and v1alpha2) reports ``status.version`` (the provider copies the
TenantControlPlane's running version into it) and ``status.ready``. ``ready`` stays true while
Kamaji upgrades (the provider sets it for the TenantControlPlane states Ready *and* Upgrading), so
"upgraded" means: the reported version is the one asked for, ``ready`` is true, and the ready
condition (``KamajiControlPlaneIsReady``, or ``Ready``) is not False.

A MachineDeployment has finished rolling when its status is about its current spec
(``observedGeneration``), every replica is built from the current template and ready, and no
older MachineSet of it still has machines. The counters come from :func:`fields.replicas`, which
reads v1beta2's ``upToDateReplicas`` and v1beta1's ``updatedReplicas`` alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from capi_kamaji_proxmox.observe import fields

KCP_READY_CONDITIONS = ("KamajiControlPlaneIsReady", "Ready")


def kcp_reported(kcp: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(``status.version``, ready) of a KamajiControlPlane."""
    version = fields.dig(kcp, "status", "version")
    ready = fields.dig(kcp, "status", "ready") is True
    for ctype in KCP_READY_CONDITIONS:
        cond = fields.condition(kcp, ctype)
        if cond is not None and cond.status == "False":
            ready = False
    return (str(version) if version else None), ready


def md_version(md: Mapping[str, Any]) -> str | None:
    v = fields.dig(md, "spec", "template", "spec", "version")
    return str(v) if v else None


def _same_template(ms: Mapping[str, Any], md: Mapping[str, Any]) -> bool:
    return fields.template_refs(ms) == fields.template_refs(md) and md_version(ms) == md_version(md)


def old_machinesets(md: Mapping[str, Any], machinesets: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """MachineSets of this MachineDeployment built from an earlier template that still have machines."""
    name = fields.name_of(md)
    mine = [
        ms
        for ms in machinesets
        if fields.labels_of(ms).get(fields.DEPLOYMENT_NAME_LABEL) == name
        or fields.owner_name(ms, "MachineDeployment") == name
    ]
    return [ms for ms in mine if not _same_template(ms, md) and (fields.replicas(ms)["current"] or 0) > 0]


def md_rolled_out(md: Mapping[str, Any], machinesets: Sequence[Mapping[str, Any]]) -> bool:
    """True when the MachineDeployment's rollout is complete (see the module docstring)."""
    generation = fields.as_int(fields.meta(md, "generation"))
    observed = fields.as_int(fields.dig(md, "status", "observedGeneration"))
    if generation is not None and (observed is None or observed < generation):
        return False
    r = fields.replicas(md)
    want = r["desired"] if r["desired"] is not None else r["current"]
    if want is None:
        return False
    if (r["current"] or 0) != want or (r["upToDate"] or 0) != want or (r["ready"] or 0) < want:
        return want == 0 and not old_machinesets(md, machinesets)
    return not old_machinesets(md, machinesets)


def md_progress(md: Mapping[str, Any]) -> str:
    """``2/3 updated, 2/3 ready``: the line shown while a pool rolls."""
    r = fields.replicas(md)
    want = r["desired"] if r["desired"] is not None else r["current"]
    return f"{r['upToDate'] or 0}/{want or 0} updated, {r['ready'] or 0}/{want or 0} ready"


def upgrade_summary(
    kcp: Mapping[str, Any] | None, mds: Sequence[Mapping[str, Any]], machinesets: Sequence[Mapping[str, Any]] = ()
) -> str:
    """``upgrading: control plane v1.32.4 ready, pools 1/3`` while a version upgrade is under way:
    the control plane does not report its asked version yet, or a pool asks for another version.
    Empty otherwise (the last pool's roll then shows as any rollout does), and for a control plane
    that has never reported a version (a fresh install)."""
    if kcp is None:
        return ""
    target = str(fields.dig(kcp, "spec", "version") or "")
    reported, ready = kcp_reported(kcp)
    if not target or not reported:
        return ""
    if reported == target and all(md_version(md) == target for md in mds):
        return ""
    if reported == target:
        cp = f"control plane {target} {'ready' if ready else 'not ready'}"
    else:
        cp = f"control plane {reported} -> {target} in progress"
    moved = [md for md in mds if md_version(md) == target and md_rolled_out(md, machinesets)]
    return f"upgrading: {cp}, pools {len(moved)}/{len(mds)}"
