"""The inputs of the step function read from the server, and the objects one step applies.

Reading: the release's last manifest says which KamajiControlPlane and MachineDeployments belong
to it; the server says what they ask for now (spec.version) and what the providers report
(status). Composing: a step's manifest is the previous revision's objects with one version
changed, or, at the target version, the new render with the pools that have not moved yet kept
as they were.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.discovery import APINotServed
from capi_kamaji_proxmox.kube.errors import ApiError, NotFound
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.objects import key, ref
from capi_kamaji_proxmox.lifecycle.version_steps import ApplyControlPlane, ApplyPools, Desired, Live, PoolLive, Step
from capi_kamaji_proxmox.observe import fields
from capi_kamaji_proxmox.observe.rollout import kcp_reported, md_rolled_out, md_version
from capi_kamaji_proxmox.values.load import LoadedValues

Obj = dict[str, Any]


def desired_of(loaded: LoadedValues, via: list[str] | None = None) -> Desired:
    values = loaded.values
    strategy = values.upgrade_strategy
    order = strategy.pools if strategy and strategy.pools is not None else "parallel"
    return Desired(
        version=(values.cluster.version if values.cluster else None) or "",
        pools=tuple(p.name for p in values.node_pools or []),
        strategy=order if isinstance(order, str) else tuple(order),
        via=tuple(via or []) + tuple((strategy.via if strategy else None) or []),
    )


def pool_of(cluster: str, md_name: str) -> str:
    prefix, suffix = f"{cluster}-", "-md"
    return md_name[len(prefix) : -len(suffix)] if md_name.startswith(prefix) and md_name.endswith(suffix) else md_name


def pool_keys(objs: list[Obj], cluster: str, pool: str) -> set[tuple[str, str, str]]:
    """Identities of one pool's objects: its MachineDeployment, the templates it references, its
    MachineHealthCheck and the address pools of its extra NICs."""
    md_name = naming.machine_deployment(cluster, pool)
    md = next((o for o in objs if o["kind"] == "MachineDeployment" and o["metadata"]["name"] == md_name), None)
    names = {md_name, naming.machine_health_check(cluster, pool)}
    if md is not None:
        names.update(n for n in fields.template_refs(md) if n)
    device = re.compile(rf"^{re.escape(cluster)}-{re.escape(pool)}-net[1-9][0-9]*-ip-pool$")
    return {key(o) for o in objs if o["metadata"]["name"] in names or device.match(o["metadata"]["name"])}


@dataclass
class LiveObjects:
    """What the server holds now, kept for the messages of a wait."""

    kcp: Obj | None
    mds: dict[str, Obj]  # pool -> live MachineDeployment
    machinesets: list[Obj]


def _get(ctx: ActionContext, obj: Obj) -> Obj | None:
    try:
        return kube.get(ctx.client, ref(obj, ctx.namespace))
    except NotFound:
        return None


def read_live(ctx: ActionContext, cluster: str, release_objs: list[Obj]) -> tuple[Live, LiveObjects]:
    kcp_rec = next((o for o in release_objs if o["kind"] == "KamajiControlPlane"), None)
    kcp = _get(ctx, kcp_rec) if kcp_rec else None
    asked = fields.dig(kcp or kcp_rec or {}, "spec", "version") or ""
    reported, ready = kcp_reported(kcp or {})
    md_recs = [o for o in release_objs if o["kind"] == "MachineDeployment"]
    machinesets: list[Obj] = []
    if md_recs:
        try:
            machinesets = kube.list_objects(
                ctx.client,
                md_recs[0]["apiVersion"],
                "MachineSet",
                namespace=ctx.namespace,
                label_selector={fields.CLUSTER_NAME_LABEL: cluster},
            )
        except (ApiError, APINotServed):
            machinesets = []  # then "rolled out" rests on the MachineDeployment's own counters
    mds: dict[str, Obj] = {}
    pools: dict[str, PoolLive] = {}
    for rec in md_recs:
        pool = pool_of(cluster, rec["metadata"]["name"])
        live = _get(ctx, rec)
        if live is None:
            continue
        mds[pool] = live
        pools[pool] = PoolLive(md_version(live) or md_version(rec), md_rolled_out(live, machinesets))
    return Live(str(asked), reported, ready, pools), LiveObjects(kcp, mds, machinesets)


def _with_version(obj: Obj, version: str) -> Obj:
    out = copy.deepcopy(obj)
    if obj["kind"] == "KamajiControlPlane":
        out["spec"]["version"] = version
    else:
        out["spec"]["template"]["spec"]["version"] = version
    return out


def step_objects(
    step: Step, desired: Desired, live: Live, cluster: str, previous: list[Obj], rendered: list[Obj]
) -> list[Obj]:
    """The objects to apply for ``step`` (in dependency order)."""
    if isinstance(step, ApplyControlPlane):
        return [_with_version(o, step.version) if o["kind"] == "KamajiControlPlane" else o for o in previous]
    assert isinstance(step, ApplyPools)
    if not step.final:
        mds = {naming.machine_deployment(cluster, p) for p in step.pools}
        return [
            _with_version(o, step.version) if o["kind"] == "MachineDeployment" and o["metadata"]["name"] in mds else o
            for o in previous
        ]
    # At the target: the new render, except pools that have not moved yet keep their old objects.
    moved = set(step.pools) | {p for p, pl in live.pools.items() if pl.version == step.version}
    waiting = [p for p in desired.pools if p not in moved and p in live.pools]
    new_keys = {p: pool_keys(rendered, cluster, p) for p in waiting}
    old_objs = {p: [o for o in previous if key(o) in pool_keys(previous, cluster, p)] for p in waiting}
    out: list[Obj] = []
    emitted: set[str] = set()
    for obj in rendered:
        owner = next((p for p, ks in new_keys.items() if key(obj) in ks), None)
        if owner is None:
            out.append(obj)
        elif owner not in emitted:
            emitted.add(owner)
            out.extend(old_objs[owner])
    if waiting:
        # pools removed from the values go only with the last step; until then they stay as they are
        gone = [p for p in live.pools if p not in desired.pools]
        kept = {k for p in gone for k in pool_keys(previous, cluster, p)}
        have = {key(o) for o in out}
        out.extend(o for o in previous if key(o) in kept and key(o) not in have)
    return out
