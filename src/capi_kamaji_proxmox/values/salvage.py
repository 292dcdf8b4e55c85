"""Every problem in one run: the cross-field checks run on what remains once malformed keys are cut.

Model errors (a wrong type, an unknown key) and cross-field rules (overlapping ranges, duplicate
pool names) used to come in two stages: a file with both kinds showed only the first kind. Here
each malformed key is cut out of the merged values (a bad item of a list cuts the whole list; a
node pool that cannot be read at all is set aside), the rest is validated again, and the
cross-field checks run on it. Their findings about a cut key, its parents or its children, or a
key that depends on it, are dropped: they would describe the cut, not the user's file.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from capi_kamaji_proxmox.values.errors import error_loc, format_path, problem_path
from capi_kamaji_proxmox.values.model import Values

Path = tuple[str | int, ...]

# A cut key changes what these keys mean, so findings about them are dropped too ("[]" stands for
# the cut pool's index).
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "nodePools[].autoscaling": ("nodePools[].replicas",),
    "nodePools[].replicas": ("nodePools[].autoscaling",),
    "nodePools[].templateId": ("nodePools[].sourceNode", "nodePools[].templateSelector"),
    "nodePools[].templateSelector": ("nodePools[].sourceNode", "nodePools[].templateId"),
    "nodePools[].sourceNode": ("nodePools[].templateId",),
    "nodePools[].network": ("ipamProvider", "cluster.ipv4Config"),
    "ipamProvider.enabled": ("cluster.ipv4Config",),
    "ipamProvider.prefix": ("ipamProvider.ranges", "ipamProvider.gateway"),
    "ipamProvider.gateway": ("ipamProvider.ranges",),
    "cluster.ipv4Config.prefix": ("cluster.ipv4Config.addresses", "cluster.ipv4Config.gateway"),
    "cluster.ipv4Config.gateway": ("cluster.ipv4Config.addresses",),
}
_ROUNDS = 4


@dataclass
class Salvaged:
    """Values validated after the cuts (None if nothing could be salvaged), and what was cut."""

    values: Values | None
    cut: list[Path] = field(default_factory=list)
    pool_index: list[int] = field(default_factory=list)  # salvaged pool position -> position in the file


def _cut_path(loc: Path, kind: str) -> Path:
    path = loc[:-1] if kind == "missing" else loc
    # A bad item of a list cuts the list, except a node pool, which is set aside on its own.
    while path and isinstance(path[-1], int) and not (len(path) == 2 and path[0] == "nodePools"):
        path = path[:-1]
    return path


def _delete(data: Any, path: Path) -> bool:
    node = data
    for part in path[:-1]:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    last = path[-1]
    if isinstance(last, str) and isinstance(node, dict) and last in node:
        del node[last]
        return True
    return False


def salvage(merged: dict[str, Any], exc: ValidationError) -> Salvaged:
    """Cut what ``exc`` reports out of a copy of ``merged`` until the rest validates."""
    data = copy.deepcopy(merged)
    pools = data.get("nodePools")
    index = list(range(len(pools))) if isinstance(pools, list) else []
    out = Salvaged(values=None)
    error = exc
    for _ in range(_ROUNDS):
        progress = False
        set_aside: set[int] = set()
        for err in error.errors():
            path = _cut_path(error_loc(err["loc"]), err["type"])
            if not path:
                return out
            if len(path) == 2 and path[0] == "nodePools" and isinstance(path[1], int):
                set_aside.add(path[1])
                out.cut.append(("nodePools", index[path[1]]))
                continue
            original = _to_original(path, index)
            if _delete(data, path):
                out.cut.append(original)
                progress = True
        if set_aside:
            data["nodePools"] = [p for i, p in enumerate(data["nodePools"]) if i not in set_aside]
            index = [orig for i, orig in enumerate(index) if i not in set_aside]
            progress = True
        if not progress:
            return out
        try:
            out.values = Values.model_validate(data)
        except ValidationError as again:
            error = again
            continue
        out.pool_index = index
        return out
    return out


def _to_original(path: Path, index: list[int]) -> Path:
    if len(path) >= 2 and path[0] == "nodePools" and isinstance(path[1], int) and path[1] < len(index):
        return ("nodePools", index[path[1]], *path[2:])
    return path


_POOL_REF = re.compile(r"nodePools\[(\d+)\]")


def renumber(problem: str, index: list[int]) -> str:
    """Name pools by their position in the user's file, not in the salvaged list."""
    return _POOL_REF.sub(lambda m: f"nodePools[{index[int(m.group(1))]}]", problem)


def _related(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _dependents(cut: Path) -> list[Path]:
    generic = format_path(["[]" if isinstance(p, int) else p for p in cut]).replace(".[]", "[]")
    pool = str(cut[1]) if len(cut) > 1 and isinstance(cut[1], int) else "0"
    return [problem_path(dep.replace("[]", f"[{pool}]") + ": ") for dep in DEPENDENTS.get(generic, ())]


def about_a_cut(problem: str, cut: list[Path]) -> bool:
    """Does this cross-field finding describe a cut key, its parents or children, or a dependent key?"""
    path = problem_path(problem)
    if not path:
        return False
    return any(_related(path, c) or any(_related(path, d) for d in _dependents(c)) for c in cut)
