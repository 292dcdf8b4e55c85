"""Writes ``fast_spec.py``: the values model (``model.py``, the single source of truth) as plain
tables the fast accept path (``fast.py``) walks without importing pydantic.

Run ``python -m capi_kamaji_proxmox.values.fast_spec_gen`` after changing ``model.py``; a test
regenerates the tables in memory and compares them with the committed file. Anything in the model
this generator does not understand (a new validator, a new constraint) stops it with an error
rather than yielding a table that accepts more than pydantic does.
"""

from __future__ import annotations

import pprint
import re
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.types import StringConstraints

from capi_kamaji_proxmox.values import addons_model
from capi_kamaji_proxmox.values import model as m

TARGET = Path(__file__).with_name("fast_spec.py")
# Validators the fast path reproduces, by function name: what each becomes in the table.
_AFTER = {"_not_negative": "nonneg"}
_BEFORE = {"_bool_status": "boolstr"}

Spec = tuple[Any, ...]


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in metadata:
        if isinstance(c, StringConstraints):
            for k in ("min_length", "max_length", "pattern"):
                if getattr(c, k) is not None:
                    out[k] = getattr(c, k)
            if any(getattr(c, k) for k in ("strip_whitespace", "to_upper", "to_lower", "strict")):
                raise ValueError(f"unsupported string constraint {c!r}")
        elif isinstance(c, annotated_types.Ge):
            out["ge"] = c.ge
        elif isinstance(c, annotated_types.Le):
            out["le"] = c.le
        elif isinstance(c, annotated_types.MinLen):
            out["min_length"] = c.min_length
        elif isinstance(c, annotated_types.MaxLen):
            out["max_length"] = c.max_length
        elif type(c).__name__ == "AfterValidator":
            out.setdefault("after", []).append(_AFTER[c.func.__name__])
        else:
            raise ValueError(f"unsupported constraint {c!r}")
    return out


def _wrap(spec: Spec, after: list[str]) -> Spec:
    for name in after:
        spec = (name, spec)
    return spec


def type_spec(annotation: Any, metadata: list[Any] | None = None) -> Spec:
    """One annotation (with the field's own constraints) as a nested tuple."""
    cons = _constraints(list(metadata or []))
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _wrap(type_spec(inner, [*extra, *(c for c in (metadata or []))]), [])
    after = cons.pop("after", [])
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        real = [a for a in args if a is not type(None)]
        if cons and len(real) > 1:
            raise ValueError(f"constraints on a union: {annotation!r}")
        # a field's constraints apply to the one type beside None (``int | None = Field(ge=0)``)
        own = [c for c in (metadata or []) if type(c).__name__ != "AfterValidator"]
        alts = tuple(type_spec(a, own if cons else None) for a in real)
        inner = alts[0] if len(alts) == 1 else ("union", alts)
        spec: Spec = ("opt", inner) if type(None) in args else inner
        return _wrap(spec, after)
    if annotation is int:
        spec = ("int", cons.pop("ge", None), cons.pop("le", None))
    elif annotation is float:
        spec = ("float", cons.pop("ge", None), cons.pop("le", None))
    elif annotation is bool:
        spec = ("bool",)
    elif annotation is str:
        pattern = cons.pop("pattern", None)
        spec = ("str", cons.pop("min_length", None), cons.pop("max_length", None), pattern)
        if pattern is not None:
            re.compile(pattern)
    elif annotation is Any:
        spec = ("any",)
    elif origin is typing.Literal:
        spec = ("lit", typing.get_args(annotation))
        if not all(type(v) is str for v in spec[1]):
            raise ValueError(f"non-string literal {annotation!r}")
    elif origin is list:
        (item,) = typing.get_args(annotation)
        spec = ("list", type_spec(item), cons.pop("min_length", None))
    elif origin is dict:
        key, value = typing.get_args(annotation)
        if key is not str:
            raise ValueError(f"dict key {key!r}")
        spec = ("dict", type_spec(value))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        spec = ("model", annotation.__name__)
    else:
        raise ValueError(f"unsupported annotation {annotation!r}")
    if cons:
        raise ValueError(f"unused constraints {cons} on {annotation!r}")
    return _wrap(spec, after)


def _field(model: type[BaseModel], name: str, info: FieldInfo) -> tuple[str, str, bool, Spec]:
    spec = type_spec(info.annotation, info.metadata)
    for dec in model.__pydantic_decorators__.field_validators.values():
        if name in dec.info.fields:
            if dec.info.mode != "before":
                raise ValueError(f"{model.__name__}.{name}: unsupported {dec.info.mode} validator")
            spec = (_BEFORE[dec.func.__name__], spec)
    if not info.is_required() and info.default is not None:
        raise ValueError(f"{model.__name__}.{name}: a default other than None")
    return (info.alias or name, name, info.is_required(), spec)


def build() -> dict[str, tuple[tuple[str, str, bool, Spec], ...]]:
    """Every model reachable from ``Values``, in a stable order."""
    out: dict[str, tuple[tuple[str, str, bool, Spec], ...]] = {}
    todo: list[type[BaseModel]] = [m.Values]
    while todo:
        model = todo.pop(0)
        if model.__name__ in out:
            continue
        cfg = model.model_config
        if cfg.get("extra") != "forbid" or cfg.get("validate_default") or cfg.get("strict"):
            raise ValueError(f"{model.__name__}: unsupported model config")
        if any(isinstance(v, property) or (callable(v) and not k.startswith("_")) for k, v in vars(model).items()
               if k not in {"model_config", "model_fields", "model_computed_fields"}):  # fmt: skip
            raise ValueError(f"{model.__name__}: properties or methods are not supported (the twins have none)")
        if model.__pydantic_decorators__.model_validators:
            raise ValueError(f"{model.__name__}: model validators are not supported")
        out[model.__name__] = tuple(_field(model, n, i) for n, i in model.model_fields.items())
        todo += [c for c in (*vars(m).values(), *vars(addons_model).values())
                 if isinstance(c, type) and issubclass(c, BaseModel)
                 and c.__name__ in repr(out[model.__name__])]  # fmt: skip
    return out


def source() -> str:
    """The text of ``fast_spec.py``."""
    table = pprint.pformat(build(), width=110, sort_dicts=False)
    return (
        '"""Generated by ``python -m capi_kamaji_proxmox.values.fast_spec_gen`` from ``model.py``: do not\n'
        'edit. Per model: (chart key, attribute, required, type) of each field."""\n\n'
        "from typing import Any\n\n"
        f"SPEC: dict[str, tuple[tuple[str, str, bool, Any], ...]] = {table}\n"
    )


if __name__ == "__main__":
    TARGET.write_text(source())
    print(f"wrote {TARGET}")
