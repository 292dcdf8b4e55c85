"""Human output: the describe tree and the status table, as keyed lines.

Each line has a ``key`` (the object it shows) and a ``content`` without padding or ages, so the
non-terminal ``--watch`` mode can print only the lines whose meaning changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .fields import Condition, age

__all__ = ["Line", "describe_lines", "status_lines"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class Line:
    key: str
    text: str
    content: str


@dataclass
class _Node:
    key: str
    label: str
    details: list[str] = field(default_factory=list)
    age: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # (sub-key, text)
    children: list[_Node] = field(default_factory=list)


def _n(value: Any) -> str:
    return "?" if value is None else str(value)


def _cond_notes(conds: Iterable[JSON], show: str, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in conds:
        c = Condition(
            type=str(raw.get("type", "")),
            status=str(raw.get("status", "")),
            reason=str(raw.get("reason", "")),
            message=str(raw.get("message", "")),
            severity=str(raw.get("severity", "")),
        )
        if show == "all" or c.failing or c.active:
            out.append((f"{prefix}{c.type}", (f"{prefix}: " if prefix else "") + c.text()))
    return out


def _cluster_node(cl: JSON, show: str) -> _Node:
    details = [cl["phase"] or "-"]
    for key, ctype in (("ready", "Ready"), ("available", "Available")):
        if cl.get(key) is not None:
            details.append(f"{ctype}={cl[key]}")
    details.append(f"version {cl['version'] or '?'}")
    details.append(f"endpoint {cl['endpoint']}" if cl["endpoint"] else "endpoint pending")
    if cl["paused"]:
        details.append("paused")
    if cl["deleting"]:
        details.append("DELETING")
    return _Node(f"Cluster/{cl['name']}", f"Cluster/{cl['name']}", details, notes=_cond_notes(cl["conditions"], show))


def _cp_node(cp: JSON, show: str) -> _Node:
    details = [
        f"{_n(cp['ready'])}/{_n(cp['desired'])} ready",
        f"version {cp['version'] or '?'}",
        f"endpoint {cp['endpoint']}" if cp["endpoint"] else "endpoint pending",
        f"datastore {cp['dataStore'] or '(Kamaji default)'}",
    ]
    if cp["initialized"] is False:
        details.append("not initialized")
    if cp["deleting"]:
        details.append("DELETING")
    key = f"{cp['kind']}/{cp['name']}"
    return _Node(key, key, details, notes=_cond_notes(cp["conditions"], show))


def _machine_node(m: JSON, show: str, now: datetime | None) -> _Node:
    infra = m["infrastructure"]
    details = [m["phase"] or "-"]
    if m["deleting"] and m["phase"] != "Deleting":
        details.append("DELETING")
    details.append(f"node {m['nodeName']}" if m["nodeName"] else "no node")
    addrs = sorted(m["addresses"], key=lambda a: (a["type"] != "InternalIP", a["type"]))
    if addrs:
        details.append(addrs[0]["address"])
    if infra["found"]:
        where = f"pve {infra['proxmoxNode'] or '?'}"
        where += f" vm {infra['vmID']}" if infra["vmID"] is not None else " vm ?"
        if infra["vmStatus"]:
            where += f" ({infra['vmStatus']})"
        details.append(where)
    elif infra["name"]:
        details.append(f"{infra['kind'] or 'infrastructure'} {infra['name']} not found")
    notes = _cond_notes(m["conditions"], show)
    notes += _cond_notes(infra["conditions"], show, prefix=infra["kind"] or "infrastructure")
    key = f"Machine/{m['name']}"
    return _Node(key, key, details, age=age(m["created"], now), notes=notes)


def _pool_node(pool: JSON, show: str, now: datetime | None) -> _Node:
    md = pool["machineDeployment"]
    key = f"Pool/{pool['name']}"
    if md is None:
        return _Node(key, f"Pool {pool['name']}", ["MachineDeployment not found"])
    details = [
        f"MachineDeployment/{md['name']}",
        md["phase"] or "-",
        f"desired {_n(md['desired'])} updated {_n(md['upToDate'])} ready {_n(md['ready'])} "
        f"available {_n(md['available'])}",
    ]
    if md["autoscaling"]:
        details.append(f"autoscale {md['autoscaling']['min']}..{md['autoscaling']['max']}")
    ro = md["rollout"]
    if ro["inProgress"]:
        details.append(f"ROLLING OUT {ro['progress']}")
    if md["deleting"]:
        details.append("DELETING")
    t = md["templates"]
    notes = [("templates", f"templates: {t['infrastructure'] or '?'}, {t['bootstrap'] or '?'}")]
    if ro["inProgress"] and ro["message"]:
        notes.append(("rollout", f"rollout: {ro['message']}"))
    notes += _cond_notes(md["conditions"], show)
    node = _Node(key, f"Pool {pool['name']}", details, notes=notes)
    machines = [_machine_node(m, show, now) for m in pool["machines"]]
    if not ro["inProgress"]:
        node.children = machines
        return node
    by_set: dict[str, list[_Node]] = {}
    for m, mnode in zip(pool["machines"], machines, strict=True):
        by_set.setdefault(m["machineSet"], []).append(mnode)
    for ms in pool["machineSets"]:
        ms_details = [
            ms["role"],
            f"{_n(ms['ready'])}/{_n(ms['desired'])} ready",
            f"template {ms['templates']['infrastructure'] or '?'}",
        ]
        if ms["deleting"]:
            ms_details.append("DELETING")
        ms_key = f"MachineSet/{ms['name']}"
        node.children.append(
            _Node(
                ms_key,
                ms_key,
                ms_details,
                notes=_cond_notes(ms["conditions"], show),
                children=by_set.pop(ms["name"], []),
            )
        )
    for rest in by_set.values():  # machines whose MachineSet is gone
        node.children.extend(rest)
    return node


def _autoscaler_node(a: JSON, show: str) -> _Node:
    key = f"Autoscaler/{a['name']}"
    if not a["found"]:
        return _Node(key, key, ["Deployment not found"])
    details = [f"{_n(a['ready'])}/{_n(a['desired'])} ready", f"image {a['image'] or '?'}"]
    return _Node(key, key, details, notes=_cond_notes(a["conditions"], show))


def _flatten(nodes: list[_Node], prefix: str, out: list[tuple[str, _Node, str]]) -> None:
    """(prefix for the label, node, prefix for notes under it) in display order."""
    for i, node in enumerate(nodes):
        last = i == len(nodes) - 1
        branch = "└─" if last else "├─"
        cont = "  " if last else "│ "
        out.append((prefix + branch, node, prefix + cont))
        _flatten(node.children, prefix + cont, out)


def _render(roots: list[_Node]) -> list[Line]:
    rows: list[tuple[str, _Node, str]] = []
    for root in roots:
        rows.append(("", root, ""))
        _flatten(root.children, "", rows)
    width = max((len(p + n.label) for p, n, _ in rows), default=0)
    lines: list[Line] = []
    for pre, node, cont in rows:
        details = "  ".join(node.details + ([node.age] if node.age else []))
        text = f"{(pre + node.label).ljust(width)}  {details}".rstrip()
        lines.append(Line(node.key, text, f"{node.label}  {'  '.join(node.details)}"))
        note_prefix = cont + ("│ " if node.children else "  ")
        for sub, note in node.notes:
            lines.append(Line(f"{node.key}#{sub}", f"{note_prefix}  {note}", f"{node.label}  {note}"))
    return lines


def describe_lines(view: JSON, show: str = "failing", now: datetime | None = None) -> list[Line]:
    """The describe tree: release header, problems, then Cluster > control plane, pools > machines."""
    rel = view["release"]
    head = f"Release {rel['name']} in {rel['namespace']}: revision {rel['revision']} ({rel['status']})"
    lines = [Line("release", head, head)]
    if view.get("upgrading"):
        lines.append(Line("upgrading", view["upgrading"], view["upgrading"]))
    for i, problem in enumerate(view["problems"]):
        lines.append(Line(f"problem#{i}", f"! {problem}", f"! {problem}"))
    cl = view["cluster"]
    root = _cluster_node(cl, show) if cl is not None else _Node("Cluster/?", "Cluster (missing)")
    if view["controlPlane"] is not None:
        root.children.append(_cp_node(view["controlPlane"], show))
    if view["pools"]:
        workers = _Node("Workers", "Workers", [f"{len(view['pools'])} pool(s)"])
        workers.children = [_pool_node(p, show, now) for p in view["pools"]]
        root.children.append(workers)
    if view.get("autoscaler"):
        root.children.append(_autoscaler_node(view["autoscaler"], show))
    return lines + _render([root])


STATUS_COLUMNS = ("RELEASE", "CLUSTER", "PHASE", "VERSION", "CONTROL PLANE", "NODES", "ROLLOUT", "REVISION", "STATUS")


def _status_cells(row: JSON, all_namespaces: bool) -> list[str]:
    cp = row["controlPlane"]
    if not row["found"]:
        phase = "not found"
    else:
        phase = (row["phase"] or "-") + (" (deleting)" if row["deleting"] and row["phase"] != "Deleting" else "")
    cp_text = "-" if cp["desired"] is None and cp["ready"] is None else f"{cp['ready'] or 0}/{_n(cp['desired'])}"
    nodes = ", ".join(f"{p['name']} {p['ready'] or 0}/{_n(p['desired'])}" for p in row["pools"]) or "-"
    rollout = row.get("upgrading") or (
        ", ".join(f"{p['name']} {p['progress']}" for p in row["pools"] if p["rollingOut"]) or "-"
    )
    cells = [
        row["release"],
        row["cluster"],
        phase,
        row["version"] or "-",
        cp_text,
        nodes,
        rollout,
        str(row["revision"]),
        row["releaseStatus"],
    ]
    return ([row["namespace"]] if all_namespaces else []) + cells


def _autoscaler_cell(row: JSON) -> str:
    """``ready v1.35.2 (workers 0..3)``: the autoscaler's state, tag and each pool's bounds."""
    a = row.get("autoscaler")
    if a is None:
        return "-"
    state = "ready" if a["isReady"] else ("missing" if not a["found"] else "not ready")
    tag = a["image"].rsplit(":", 1)[-1] if ":" in a["image"] else a["image"]
    bounds = ", ".join(
        f"{p['name']} {p['autoscaling']['min']}..{p['autoscaling']['max']}"
        for p in row["pools"]
        if p.get("autoscaling")
    )
    return " ".join(x for x in (state, tag, f"({bounds})" if bounds else "") if x)


def status_lines(rows: list[JSON], all_namespaces: bool) -> list[Line]:
    """A kubectl-style table: header plus one line per release (AUTOSCALER only when one runs, WORKLOAD
    when it was read)."""
    from .workload import status_cell  # late: workload builds on Line

    header = (["NAMESPACE"] if all_namespaces else []) + list(STATUS_COLUMNS)
    table = [header] + [_status_cells(r, all_namespaces) for r in rows]
    if any(r.get("autoscaler") for r in rows):
        header.insert(len(header) - 2, "AUTOSCALER")
        for cells, r in zip(table[1:], rows, strict=True):
            cells.insert(len(cells) - 2, _autoscaler_cell(r))
    if any("workload" in r for r in rows):
        header.append("WORKLOAD")
        for row, cells in zip(rows, table[1:], strict=True):
            cells.append(status_cell(row.get("workload")))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "   ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [Line("header", fmt(header), "header")]
    for row, cells in zip(rows, table[1:], strict=True):
        out.append(Line(f"{row['namespace']}/{row['release']}", fmt(cells), " | ".join(cells)))
    return out
