"""Object-by-object, field-by-field comparison of two renders (the chart's and this tool's).

Objects are matched by kind and name, with the content-hash suffix of the template names set
aside (the chart hashes its template text, this tool the template content). Lists of scalars
are compared whole; lists of maps item by item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()
Path = tuple[str | int, ...]

_HASHED = re.compile(r"^(.*-(?:proxmox-machine-template|kubeadmconfig))-[0-9a-f]{8}$")


def unhash(name: str) -> str:
    m = _HASHED.match(name)
    return f"{m.group(1)}-<hash>" if m else name


def _strip_hashes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_hashes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_hashes(v) for v in value]
    if isinstance(value, str):
        return unhash(value)
    return value


@dataclass(frozen=True)
class Diff:
    kind: str
    name: str
    path: Path
    chart: Any
    ours: Any

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(whole object)"
        return f"{self.kind} {self.name}: {where}: chart {self.chart!r}, this tool {self.ours!r}"


def index(objs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Objects by (kind, name without hash), hash suffixes stripped everywhere inside."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for obj in objs:
        key = (obj["kind"], unhash(obj["metadata"]["name"]))
        assert key not in out, f"two objects {key}"
        out[key] = _strip_hashes(obj)
    return out


def _walk(kind: str, name: str, path: Path, a: Any, b: Any, out: list[Diff]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            _walk(kind, name, (*path, key), a.get(key, ABSENT), b.get(key, ABSENT), out)
    elif isinstance(a, list) and isinstance(b, list) and any(isinstance(x, (dict, list)) for x in a + b):
        for i in range(max(len(a), len(b))):
            _walk(kind, name, (*path, i), a[i] if i < len(a) else ABSENT, b[i] if i < len(b) else ABSENT, out)
    elif a != b or type(a) is not type(b):
        out.append(Diff(kind, name, path, a, b))


def differences(chart: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[Diff]:
    a, b = index(chart), index(ours)
    out: list[Diff] = []
    for key in [*a, *(k for k in b if k not in a)]:
        kind, name = key
        if key not in a or key not in b:
            out.append(Diff(kind, name, (), a.get(key, ABSENT), b.get(key, ABSENT)))
            continue
        _walk(kind, name, (), a[key], b[key], out)
    return out
