"""The workload cluster's own health, from what :mod:`.workload_probe` read: nodes ready per pool
and the causes a person needs (no CNI, no providerID, crash-looping kube-system pods, unreachable).

Nodes are matched to pools through their Machine's ``status.nodeRef``. The views are JSON-ready
dicts (``-o json`` prints them as they are); the text helpers render the same dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fields import dig, name_of
from .text import Line
from .workload_probe import Probe

__all__ = ["NO_CNI", "status_cell", "workload_lines", "workload_view"]

JSON = dict[str, Any]
NO_CNI = "no CNI: every node is NotReady with NetworkPluginNotReady"
NETWORK_NOT_READY = "NetworkPluginNotReady"
MAX_LISTED = 5  # per cause, so a 100-node cluster does not flood the output


def _ready(node: JSON) -> JSON | None:
    for c in dig(node, "status", "conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return c
    return None


def _node(node: JSON, pool: str | None) -> JSON:
    cond = _ready(node) or {}
    message = str(cond.get("message") or "")
    return {
        "name": name_of(node),
        "pool": pool,
        "ready": cond.get("status") == "True",
        "reason": str(cond.get("reason") or ""),
        "message": message,
        "networkNotReady": NETWORK_NOT_READY in message,
        "providerID": str(dig(node, "spec", "providerID") or ""),
    }


def _crash_looping(pods: Iterable[JSON]) -> list[JSON]:
    out: list[JSON] = []
    for pod in pods:
        for cs in dig(pod, "status", "containerStatuses") or []:
            if not isinstance(cs, dict) or dig(cs, "state", "waiting", "reason") != "CrashLoopBackOff":
                continue
            out.append(
                {
                    "pod": name_of(pod),
                    "container": str(cs.get("name") or ""),
                    "restarts": int(cs.get("restartCount") or 0),
                    "lastExit": str(dig(cs, "lastState", "terminated", "reason") or ""),
                }
            )
    return out


def _listed(names: list[str]) -> str:
    more = len(names) - MAX_LISTED
    return ", ".join(names[:MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def _causes(nodes: list[JSON], crashing: list[JSON]) -> list[str]:
    causes: list[str] = []
    if not nodes:
        return ["no nodes yet: no machine has joined the workload cluster"]
    not_ready = [n for n in nodes if not n["ready"]]
    no_net = [n["name"] for n in not_ready if n["networkNotReady"]]
    if len(no_net) == len(nodes):
        causes.append(f"{NO_CNI} (install one: addons.cni.provider)")
    elif no_net:
        causes.append(f"NetworkPluginNotReady on {_listed(no_net)}: the CNI is not running there")
    other = [n for n in not_ready if not n["networkNotReady"]]
    for n in other[:MAX_LISTED]:
        causes.append(f"node {n['name']} NotReady: {n['reason'] or 'no Ready condition'} {n['message']}".rstrip())
    missing_id = [n["name"] for n in nodes if not n["providerID"]]
    if missing_id:
        causes.append(
            f"no providerID on {_listed(missing_id)}: their Machines stay Provisioned and the autoscaler "
            "cannot map them"
        )
    for p in crashing[:MAX_LISTED]:
        last = f", last exit {p['lastExit']}" if p["lastExit"] else ""
        causes.append(
            f"kube-system pod {p['pod']}: container {p['container']} crash-looping ({p['restarts']} restarts{last})"
        )
    return causes


def workload_view(probe: Probe | None, node_pools: dict[str, str], *, missing: str = "") -> JSON:
    """The workload section: ``probe`` None means it was not read (``missing`` says why)."""
    if probe is None:
        return {"state": "no-kubeconfig", "error": missing, "causes": [missing] if missing else [], "requests": 0}
    base: JSON = {"server": probe.server, "requests": probe.requests}
    if not probe.reachable:
        return {**base, "state": "unreachable", "error": probe.error, "causes": [f"unreachable: {probe.error}"]}
    nodes = [_node(n, node_pools.get(name_of(n))) for n in probe.nodes]
    pools: dict[str, JSON] = {}
    for n in nodes:
        if n["pool"] is not None:
            p = pools.setdefault(n["pool"], {"name": n["pool"], "ready": 0, "total": 0})
            p["total"] += 1
            p["ready"] += int(n["ready"])
    crashing = _crash_looping(probe.pods or [])
    causes = _causes(nodes, crashing)
    state = "no-nodes" if not nodes else ("ok" if not causes else "degraded")
    return {
        **base,
        "state": state,
        "error": "",
        "nodes": {"ready": sum(int(n["ready"]) for n in nodes), "total": len(nodes)},
        "pools": sorted(pools.values(), key=lambda p: str(p["name"])),
        "unmatched": sorted(n["name"] for n in nodes if n["pool"] is None),
        "notReady": [{k: n[k] for k in ("name", "pool", "reason", "message")} for n in nodes if not n["ready"]],
        "crashLooping": crashing,
        "causes": causes,
    }


def status_cell(view: JSON | None) -> str:
    """The WORKLOAD column of ``status``."""
    if view is None:
        return "-"
    state = view["state"]
    if state == "no-kubeconfig":
        return "no kubeconfig yet"
    if state == "unreachable":
        return f"unreachable ({str(view['error']).split(':')[0]})"
    if state == "no-nodes":
        return "no nodes yet"
    text = f"{view['nodes']['ready']}/{view['nodes']['total']} nodes ready"
    if any(c.startswith("no CNI") for c in view["causes"]):
        return f"{text}, no CNI"
    return text + (f", {len(view['causes'])} problem(s)" if view["causes"] else "")


def workload_lines(view: JSON) -> list[Line]:
    """The workload section under the describe tree."""
    state = view["state"]
    if state == "no-kubeconfig":
        head = "Workload cluster: not read (no kubeconfig yet)"
    elif state == "unreachable":
        head = f"Workload cluster {view['server']}: UNREACHABLE"
    else:
        pools = ", ".join(f"{p['name']} {p['ready']}/{p['total']}" for p in view["pools"])
        head = f"Workload cluster {view['server']}: {view['nodes']['ready']}/{view['nodes']['total']} nodes ready"
        head += f" ({pools})" if pools else ""
    lines = [Line("workload", head, head)]
    for i, cause in enumerate(view["causes"]):
        text = f"  ! {cause}"
        lines.append(Line(f"workload#{i}", text, text))
    return lines
