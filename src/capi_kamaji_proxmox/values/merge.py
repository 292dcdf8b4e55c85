"""Helm's value-merging rules, which existing values files depend on.

- maps merge deeply, lists and scalars replace;
- a ``null`` in a later layer deletes the key it overrides (after the final coalesce with the
  defaults no ``null`` is left);
- ``--set`` / ``--set-string`` use Helm's ``strvals`` syntax (``a.b[0].c=x``, commas separate
  assignments, ``{a,b}`` is a list, backslash escapes ``,`` ``.`` ``=`` ``[``);
- ``--set-file key=path`` uses the same key syntax; the value is the file's whole content, always a
  string (never typed, never split into a list).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from capi_kamaji_proxmox.values.errors import ValuesError


def merge_layers(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``top`` onto ``base`` keeping nulls (user layers: a null must survive to delete a default)."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_layers(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def coalesce(defaults: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Apply user ``config`` over ``defaults``; a null deletes, no null survives.

    The result shares nothing with either input (callers mutate it)."""
    return coalesce_into(copy_tree(defaults), config)


def coalesce_into(out: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """:func:`coalesce` onto ``out`` in place (a tree the caller owns): each node copied once."""
    for key, value in config.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            coalesce_into(out[key], value)
        else:
            out[key] = _drop_nulls(value)
    return out


_ATOMS = (str, int, float, bool, type(None))
_ATOM_TYPES = frozenset(_ATOMS)  # exact types: one set lookup per leaf


def copy_tree(value: Any) -> Any:
    """A deep copy of a values tree: maps and lists rebuilt, immutable leaves shared (several
    times faster than ``copy.deepcopy``, which fleet rendering spent most of its validation in)."""
    kind = type(value)
    if kind in _ATOM_TYPES:
        return value
    if kind is dict or isinstance(value, dict):
        return {k: v if type(v) in _ATOM_TYPES else copy_tree(v) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [v if type(v) in _ATOM_TYPES else copy_tree(v) for v in value]
    return value if isinstance(value, _ATOMS) else copy.deepcopy(value)


def _drop_nulls(value: Any) -> Any:
    """A copy without null map values (a fresh tree, like :func:`copy_tree`)."""
    kind = type(value)
    if kind in _ATOM_TYPES:
        return value
    if kind is dict or isinstance(value, dict):
        return {k: v if type(v) in _ATOM_TYPES else _drop_nulls(v) for k, v in value.items() if v is not None}
    if kind is list or isinstance(value, list):
        return [v if type(v) in _ATOM_TYPES else _drop_nulls(v) for v in value]
    return value if isinstance(value, _ATOMS) else copy.deepcopy(value)


# --------------------------------------------------------------------------- --set parsing

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")


def _typed(text: str, as_string: bool) -> Any:
    if as_string:
        return text
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if _INT.match(text):
        return int(text)
    return text


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside ``{...}`` and not preceded by a backslash."""
    parts: list[str] = []
    buf: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


_SEGMENT = re.compile(r"^(?P<name>(?:\\.|[^\[\\])*)(?P<idx>(?:\[\d+\])*)$")


def _parse_path(path: str, flag: str, expr: str) -> list[str | int]:
    keys: list[str | int] = []
    for part in _split_unescaped(path, "."):
        m = _SEGMENT.match(part)
        if not m or (not m.group("name") and not m.group("idx")):
            raise ValuesError([f"{flag} {expr!r}: cannot parse key {path!r}"])
        name = _unescape(m.group("name"))
        if name:
            keys.append(name)
        keys.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group("idx")))
    if not keys or not isinstance(keys[0], str):
        raise ValuesError([f"{flag} {expr!r}: a key must start with a name"])
    return keys


def _assign(root: dict[str, Any], keys: list[str | int], value: Any, flag: str, expr: str) -> None:
    node: Any = root
    for pos, key in enumerate(keys):
        last = pos == len(keys) - 1
        nxt = None if last else keys[pos + 1]
        empty: Any = [] if isinstance(nxt, int) else {}
        if isinstance(key, int):
            if not isinstance(node, list):
                raise ValuesError([f"{flag} {expr!r}: index [{key}] used on a map"])
            if key > 10_000:
                raise ValuesError([f"{flag} {expr!r}: index [{key}] is too large"])
            while len(node) <= key:
                node.append(None)
            if last:
                node[key] = value
            else:
                if not isinstance(node[key], (dict, list)):
                    node[key] = empty
                node = node[key]
        else:
            if not isinstance(node, dict):
                raise ValuesError([f"{flag} {expr!r}: key {key!r} used on a list"])
            if last:
                node[key] = value
            else:
                if not isinstance(node.get(key), (dict, list)):
                    node[key] = empty
                node = node[key]


def _seed_default_pools(config: dict[str, Any], expressions: list[str]) -> None:
    """``--set nodePools[0].replicas=5`` with no pool list given means the default pool.

    Plain Helm would create a nameless pool replacing the default list; naming the default pools
    first makes the seed README's ``--set`` examples do what they say.
    """
    from capi_kamaji_proxmox.values.defaults import DEFAULTS

    if "nodePools" not in config and any(
        item.startswith("nodePools[") for expr in expressions for item in _split_unescaped(expr, ",")
    ):
        config["nodePools"] = [{"name": p["name"]} for p in DEFAULTS["nodePools"]]


def apply_set(
    base: dict[str, Any],
    expressions: list[str],
    *,
    as_string: bool = False,
    flag: str = "--set",
    read_file: Callable[[str, str], str] | None = None,
) -> dict[str, Any]:
    """Apply ``--set`` expressions onto a copy of ``base`` (the merged user files), as Helm does.

    Writing into the merged files (rather than overlaying a separate map) is what makes
    ``--set nodePools[0].replicas=5`` change one key of the first pool of a values file.
    With ``read_file`` (``--set-file``) each value is a path, replaced by ``read_file(key, path)``.
    """
    out = copy.deepcopy(base)
    _seed_default_pools(out, expressions)
    for expr in expressions:
        for item in _split_unescaped(expr, ","):
            if item == "":
                continue
            key, sep, raw = item.partition("=")
            if not sep:
                raise ValuesError([f"{flag} {expr!r}: expected KEY=VALUE, got {item!r}"])
            if read_file is not None:
                value: Any = read_file(key, _unescape(raw))
            elif raw.startswith("{") and raw.endswith("}"):
                inner = raw[1:-1]
                value = [_typed(_unescape(p), as_string) for p in _split_unescaped(inner, ",") if p != ""]
            else:
                value = _typed(_unescape(raw), as_string)
            _assign(out, _parse_path(key, flag, expr), value, flag, expr)
    return out
