"""The plan of an operation: what will be applied, kept, deleted, and which machines will roll.

A plan is a value: ``diff`` prints it, ``install``/``upgrade`` apply it. Building it reads the
server (discovery, live templates, references) but writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.errors import NotFound
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.objects import TEMPLATE_KINDS, drop_empty, field_changes, key
from capi_kamaji_proxmox.lifecycle.templates import referenced_templates, reuse_live_names
from capi_kamaji_proxmox.release.ownership import stamp_ownership
from capi_kamaji_proxmox.release.record import Release, split_manifest
from capi_kamaji_proxmox.render.apis import ApiVersions
from capi_kamaji_proxmox.render.engine import needed_kinds, render
from capi_kamaji_proxmox.values.load import LoadedValues
from capi_kamaji_proxmox.values.model import NodePool


@dataclass
class PoolImpact:
    """How one pool's machines are affected: the line users read before an upgrade."""

    pool: str
    reasons: list[str]
    machines: int
    max_surge: str

    def line(self) -> str:
        if not self.reasons:
            return f"pool {self.pool}: no machine is replaced"
        return (
            f"pool {self.pool}: {'; '.join(self.reasons)}; {self.machines} machine(s) will be replaced, "
            f"maxSurge {self.max_surge}"
        )


@dataclass
class Plan:
    release: str
    namespace: str
    cluster: str
    kubernetes_version: str
    apis: ApiVersions
    desired: list[dict[str, Any]]  # to apply, in dependency order
    retained: list[dict[str, Any]] = field(default_factory=list)  # old templates still referenced
    deletions: list[dict[str, Any]] = field(default_factory=list)  # no longer rendered, unreferenced
    renames: dict[str, str] = field(default_factory=dict)  # rendered name -> reused live name
    impacts: list[PoolImpact] = field(default_factory=list)

    @property
    def manifest(self) -> list[dict[str, Any]]:
        """What the release record stores: everything the release owns after this operation."""
        return self.desired + self.retained


def previous_objects(records: list[Release | None]) -> list[dict[str, Any]]:
    """Objects of earlier revisions (deduplicated by identity, first occurrence wins)."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in records:
        if rec is None:
            continue
        for obj in split_manifest(rec.manifest):
            seen.setdefault(key(obj), obj)
    return list(seen.values())


def render_release(ctx: ActionContext, name: str, loaded: LoadedValues) -> tuple[list[dict[str, Any]], ApiVersions]:
    """Render with the API versions the server serves, stamped with Helm's ownership metadata."""
    apis = ctx.served_apis(needed_kinds(loaded.values))
    objs = render(loaded.values, release_name=name, namespace=ctx.namespace, apis=apis)
    return [stamp_ownership(o, name, ctx.namespace) for o in objs], apis


def split_removed(
    ctx: ActionContext, apis: ApiVersions, cluster: str, keep: list[dict[str, Any]], previous: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(retained, deletions) among previous objects that ``keep`` does not contain."""
    wanted = {key(o) for o in keep}
    removed = [o for o in previous if key(o) not in wanted]
    if not removed:
        return [], []
    used = (
        referenced_templates(ctx.client, apis, ctx.namespace, cluster)
        if any(o["kind"] in TEMPLATE_KINDS for o in removed)
        else set()
    )
    retained = [o for o in removed if (o["kind"], o["metadata"]["name"]) in used]
    deletions = [o for o in removed if (o["kind"], o["metadata"]["name"]) not in used]
    return retained, deletions


def _get(ctx: ActionContext, obj: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return kube.get(
            ctx.client, kube.ObjectRef(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], ctx.namespace)
        )
    except NotFound:
        return None


def _template_spec(obj: dict[str, Any] | None) -> Any:
    return drop_empty(((obj or {}).get("spec") or {}).get("template", {}).get("spec") or {})


def pool_impacts(
    ctx: ActionContext,
    pools: list[NodePool],
    desired: list[dict[str, Any]],
    defaulted: list[dict[str, Any]] | None = None,
) -> list[PoolImpact]:
    """Compare each pool's live MachineDeployment with the new one: what makes its machines roll.

    ``defaulted`` (the dry-run results of ``desired``, same order) carries the server's defaults, so
    that a default the live template has (``matchPolicy: exact``) is not reported as a change."""
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in (defaulted or desired)}
    out = []
    mds = [o for o in desired if o["kind"] == "MachineDeployment"]
    for pool, md in zip(pools, mds, strict=True):
        live = _get(ctx, md)
        if live is None:
            continue  # a new pool: machines are created, none replaced
        reasons: list[str] = []
        new_t = md["spec"]["template"]["spec"]
        old_t = (live.get("spec") or {}).get("template", {}).get("spec") or {}
        pairs = [
            (
                "ProxmoxMachineTemplate",
                (old_t.get("infrastructureRef") or {}).get("name"),
                new_t["infrastructureRef"]["name"],
            ),
            (
                "KubeadmConfigTemplate",
                ((old_t.get("bootstrap") or {}).get("configRef") or {}).get("name"),
                new_t["bootstrap"]["configRef"]["name"],
            ),
        ]
        for kind, old_name, new_name in pairs:
            if old_name == new_name:
                continue
            old_obj = _get(ctx, {**by_name[(kind, new_name)], "metadata": {"name": old_name}}) if old_name else None
            changes = field_changes(_template_spec(old_obj), _template_spec(by_name[(kind, new_name)]))
            detail = f" ({', '.join(changes)})" if changes and old_obj is not None else ""
            reasons.append(f"{kind} replaced{detail}")
        if old_t.get("version") != new_t.get("version"):
            reasons.append(f"Kubernetes version {old_t.get('version')} -> {new_t.get('version')}")
        status = live.get("status") or {}
        machines = int(status.get("replicas") or (live.get("spec") or {}).get("replicas") or 0)
        surge = pool.rollout.max_surge if pool.rollout and pool.rollout.max_surge is not None else 1
        out.append(PoolImpact(pool=pool.name, reasons=reasons, machines=machines, max_surge=str(surge)))
    return out


def build_plan(
    ctx: ActionContext, name: str, loaded: LoadedValues, previous: list[Release | None], *, impacts: bool = False
) -> Plan:
    objs, apis = render_release(ctx, name, loaded)
    cluster = next(o["metadata"]["name"] for o in objs if o["kind"] == "Cluster")
    earlier = previous_objects(previous)
    # Live twins are looked for only when the release has an earlier revision (adopting a chart
    # release, values that renamed a template): a first install has nothing of its own to reuse.
    renames = (
        reuse_live_names(
            ctx.client,
            apis,
            ctx.namespace,
            cluster,
            objs,
            owned={(o["kind"], o["metadata"]["name"]) for o in earlier if o["kind"] in TEMPLATE_KINDS},
        )
        if any(r is not None for r in previous)
        else {}
    )
    retained, deletions = split_removed(ctx, apis, cluster, objs, earlier)
    plan = Plan(
        release=name,
        namespace=ctx.namespace,
        cluster=cluster,
        kubernetes_version=(loaded.values.cluster.version if loaded.values.cluster else None) or "",
        apis=apis,
        desired=objs,
        retained=retained,
        deletions=deletions,
        renames=renames,
    )
    if impacts:
        plan.impacts = pool_impacts(ctx, loaded.values.node_pools or [], objs)
    return plan
