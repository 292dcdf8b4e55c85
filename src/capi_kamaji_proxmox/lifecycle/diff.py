"""``diff``: what an upgrade would change, per object, with the rollout impact per pool above it.

The server itself computes the result of each apply (server-side dry run), so the diff shows
exactly what SSA would store, minus server-populated fields.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from capi_kamaji_proxmox.kube import apply as kube
from capi_kamaji_proxmox.kube.errors import NotFound
from capi_kamaji_proxmox.lifecycle.apply_plan import dry_run_all
from capi_kamaji_proxmox.lifecycle.context import ActionContext
from capi_kamaji_proxmox.lifecycle.guard import refuse_foreign
from capi_kamaji_proxmox.lifecycle.inputs import UserValues
from capi_kamaji_proxmox.lifecycle.objects import comparable, ref
from capi_kamaji_proxmox.lifecycle.plan import Plan, build_plan, pool_impacts
from capi_kamaji_proxmox.lifecycle.records import written_by_tool
from capi_kamaji_proxmox.render.output import to_yaml


@dataclass
class ObjectDiff:
    action: str  # create | update | delete | keep
    kind: str
    name: str
    text: str  # unified diff (update), full object (create/delete), reason (keep)


def diff_release(ctx: ActionContext, name: str, values: UserValues) -> tuple[Plan, list[ObjectDiff]]:
    """What ``upgrade`` with these values would do, computed the same way, written nowhere."""
    from capi_kamaji_proxmox.lifecycle.actions import latest_deployed, load_values

    hist = ctx.storage.history(name)
    refuse_foreign(hist, "diff")
    last = hist[-1] if hist else None
    loaded = load_values(ctx, name, values, last)
    plan = build_plan(ctx, name, loaded, previous=[last, latest_deployed(hist)])
    results = dry_run_all(ctx, plan.desired, force=bool(last and not written_by_tool(last)))
    plan.impacts = pool_impacts(ctx, loaded.values.node_pools or [], plan.desired, results)
    return plan, object_diffs(ctx, plan, results)


def object_diffs(ctx: ActionContext, plan: Plan, results: list[dict[str, Any]]) -> list[ObjectDiff]:
    """Per object, the live state against the dry-run result."""
    out: list[ObjectDiff] = []
    for obj, result in zip(plan.desired, results, strict=True):
        try:
            live = kube.get(ctx.client, ref(obj, ctx.namespace))
        except NotFound:
            out.append(ObjectDiff("create", obj["kind"], obj["metadata"]["name"], to_yaml(comparable(result))))
            continue
        before, after = to_yaml(comparable(live)), to_yaml(comparable(result))
        if before != after:
            lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "live", "desired", lineterm="", n=2)
            out.append(ObjectDiff("update", obj["kind"], obj["metadata"]["name"], "\n".join(lines)))
    for obj in plan.retained:
        out.append(
            ObjectDiff("keep", obj["kind"], obj["metadata"]["name"], "no longer rendered; kept while machines use it")
        )
    for obj in plan.deletions:
        out.append(ObjectDiff("delete", obj["kind"], obj["metadata"]["name"], ""))
    return out


def render_text(plan: Plan, diffs: list[ObjectDiff]) -> str:
    lines = [i.line() for i in plan.impacts]
    if lines:
        lines.append("")
    for d in diffs:
        if d.action == "keep":
            lines.append(f"~ {d.kind} {d.name}: {d.text}")
        elif d.action == "delete":
            lines.append(f"- {d.kind} {d.name} will be deleted")
        elif d.action == "create":
            lines.append(f"+ {d.kind} {d.name} will be created")
        else:
            lines.append(f"~ {d.kind} {d.name} will be updated:")
            lines.extend("    " + ln for ln in d.text.splitlines())
    if not diffs:
        lines.append("no changes")
    return "\n".join(lines) + "\n"


def as_data(plan: Plan, diffs: list[ObjectDiff]) -> dict[str, Any]:
    return {
        "release": plan.release,
        "namespace": plan.namespace,
        "rollout": [
            {"pool": i.pool, "reasons": i.reasons, "machines": i.machines, "maxSurge": i.max_surge}
            for i in plan.impacts
        ],
        "changes": [{"action": d.action, "kind": d.kind, "name": d.name, "diff": d.text} for d in diffs],
    }
