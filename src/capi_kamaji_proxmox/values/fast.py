"""The fast accept path of the values: valid values without importing pydantic.

A cold ``template`` spent about 70 % of its time importing pydantic and building the models. This
walker reads the same model from plain tables (``fast_spec.py``, generated from ``model.py``) and
accepts only what is unambiguous: exact types (an ``int`` is an ``int``, not ``True`` or ``24.0``;
the one coercion kept is pydantic's plain decimal string for an integer, ``prefix: "24"``, which
the chart's own values file uses), the chart keys, every constraint. Anything else — a value pydantic would coerce or
reject, an unknown key, a missing required key — returns ``None``, and the caller validates with
pydantic, which stays the reference: its data, its every message. So the fast path never accepts
what pydantic rejects, and what it accepts it builds exactly as pydantic would (tests compare both
on the examples and a hypothesis corpus).

The objects built are light twins of the models: the same attribute names, ``None`` for unset
fields, and the ``model_dump`` that rendering uses.
"""

from __future__ import annotations

import re
from typing import Any

from capi_kamaji_proxmox.values.fast_spec import SPEC


class _Reject(Exception):
    """The fast path cannot decide: pydantic will."""


class Light:
    """Base of the light twins of the models (one subclass per model, attributes as slots)."""

    __slots__ = ()
    _fields: tuple[tuple[str, str, bool, Any], ...] = ()

    def model_dump(self, *, by_alias: bool = False, exclude_none: bool = False) -> dict[str, Any]:
        """What pydantic's ``model_dump`` (python mode) returns for the same data."""
        out: dict[str, Any] = {}
        for alias, attr, _, _ in self._fields:
            value = getattr(self, attr)
            if value is None and exclude_none:
                continue
            out[alias if by_alias else attr] = _dump(value, by_alias, exclude_none)
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{attr}={getattr(self, attr)!r}" for _, attr, _, _ in self._fields)
        return f"{type(self).__name__}({args})"


def _dump(value: Any, by_alias: bool, exclude_none: bool) -> Any:
    if isinstance(value, Light):
        return value.model_dump(by_alias=by_alias, exclude_none=exclude_none)
    if isinstance(value, list):
        return [_dump(v, by_alias, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, by_alias, exclude_none) for k, v in value.items()}
    return value


CLASSES: dict[str, type[Light]] = {
    name: type(name, (Light,), {"__slots__": tuple(f[1] for f in fields), "_fields": fields})
    for name, fields in SPEC.items()
}
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _full_match(pattern: str, text: str) -> bool:
    """pydantic's (Rust) ``$`` ends the text; Python's also matches before a final newline."""
    rx = _PATTERNS.get(pattern)
    if rx is None:
        rx = _PATTERNS[pattern] = re.compile(pattern)
    found = rx.match(text)
    return found is not None and found.end() == len(text)


def _str(v: Any, min_len: int | None, max_len: int | None, pattern: str | None) -> str:
    if type(v) is not str:
        raise _Reject
    if (min_len is not None and len(v) < min_len) or (max_len is not None and len(v) > max_len):
        raise _Reject
    if pattern is not None and not _full_match(pattern, v):
        raise _Reject
    return v


_DECIMAL = re.compile(r"[0-9]{1,15}")


def _int(v: Any, ge: int | None, le: int | None, lax: bool) -> int:
    if lax and type(v) is str and _DECIMAL.fullmatch(v):
        v = int(v)  # pydantic's lax mode: "24" -> 24 (signs, spaces, "_", "24.0" are left to it)
    if type(v) is not int or (ge is not None and v < ge) or (le is not None and v > le):
        raise _Reject
    return v


def _value(spec: tuple[Any, ...], v: Any, lax: bool = True) -> Any:
    """One value checked against its table entry; raises :class:`_Reject` on any doubt.

    ``lax`` allows the decimal-string coercion; a union tries every alternative without it first,
    as pydantic's smart union prefers an exact match (``"5"`` stays a string in ``str | int``)."""
    kind = spec[0]
    if kind == "opt":
        return None if v is None else _value(spec[1], v, lax)
    if kind == "str":
        return _str(v, spec[1], spec[2], spec[3])
    if kind == "int":
        return _int(v, spec[1], spec[2], lax)
    if kind == "bool":
        if type(v) is not bool:
            raise _Reject
        return v
    if kind == "float":  # an int or a float (pydantic stores a float); strings are left to pydantic
        if (
            type(v) not in (int, float)
            or (spec[1] is not None and v < spec[1])
            or (spec[2] is not None and v > spec[2])
        ):
            raise _Reject
        return float(v)
    if kind == "model":
        return build(spec[1], v)
    if kind == "list":
        if type(v) is not list or (spec[2] is not None and len(v) < spec[2]):
            raise _Reject
        return [_value(spec[1], item, lax) for item in v]
    if kind == "dict":
        if type(v) is not dict:
            raise _Reject
        out = {}
        for k, item in v.items():
            if type(k) is not str:
                raise _Reject
            out[k] = _value(spec[1], item, lax)
        return out
    if kind == "lit":
        if type(v) is not str or v not in spec[1]:
            raise _Reject
        return v
    if kind == "any":
        return v
    if kind == "union":  # alternatives of distinct Python types: exact matches first
        for coerce in (False, True) if lax else (False,):
            for alt in spec[1]:
                try:
                    return _value(alt, v, coerce)
                except _Reject:
                    continue
        raise _Reject
    if kind == "nonneg":
        out_v = _value(spec[1], v, lax)
        if type(out_v) is int and out_v < 0:
            raise _Reject
        return out_v
    if kind == "boolstr":  # UnhealthyCondition.status: YAML's unquoted False is the string "False"
        return _value(spec[1], str(v) if type(v) is bool else v, lax)
    raise _Reject  # a kind this walker does not know: let pydantic decide


def build(model: str, data: Any) -> Light:
    """A light object of ``model`` from a mapping of chart keys; raises :class:`_Reject`."""
    if type(data) is not dict:
        raise _Reject
    cls = CLASSES[model]
    obj = cls.__new__(cls)
    seen = 0
    for alias, attr, required, spec in cls._fields:
        if alias in data:
            seen += 1
            object.__setattr__(obj, attr, _value(spec, data[alias]))
        elif required:
            raise _Reject
        else:
            object.__setattr__(obj, attr, None)
    if seen != len(data):  # an unknown key, or a Python attribute name: pydantic decides
        raise _Reject
    return obj


def validate(model: str, data: Any) -> Any:
    """The light object, or ``None`` when pydantic must validate (and report)."""
    try:
        return build(model, data)
    except _Reject:
        return None


def make(model: str, **data: Any) -> Any:
    """A light object from chart keys known to be valid (renderers' defaults: ``make("PoolNetwork")``)."""
    return build(model, data)
