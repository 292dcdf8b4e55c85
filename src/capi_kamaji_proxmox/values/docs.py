"""``values show``: the defaults as a YAML file whose comments come from the model's descriptions."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import BaseModel

from capi_kamaji_proxmox.values.defaults import DEFAULTS
from capi_kamaji_proxmox.values.load import _model_at  # the same walk the error messages use
from capi_kamaji_proxmox.values.model import Values


def _description(path: tuple[str | int, ...]) -> str | None:
    parent = _model_at(path[:-1]) if path else Values
    if parent is None:
        return None
    key = path[-1]
    for name, info in parent.model_fields.items():
        if key in (info.alias, name):
            return info.description
    return None


def _optional_keys(path: tuple[str | int, ...], present: dict[str, Any]) -> list[str]:
    model = _model_at(path)
    if model is None:
        return []
    return [info.alias or n for n, info in model.model_fields.items() if (info.alias or n) not in present]


def _scalar(value: Any) -> str:
    if isinstance(value, str) and "\n" in value:
        return json.dumps(value)
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()


def _emit(value: dict[str, Any], path: tuple[str | int, ...], indent: str, lines: list[str]) -> None:
    for key, item in value.items():
        desc = _description((*path, key))
        if desc:
            lines.append(f"{indent}# -- {desc}")
        if isinstance(item, dict) and item:
            lines.append(f"{indent}{key}:")
            _emit(item, (*path, key), indent + "  ", lines)
        elif isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
            lines.append(f"{indent}{key}:")
            for n, entry in enumerate(item):
                sub: list[str] = []
                _emit(entry, (*path, key, n), indent + "    ", sub)
                first = next(i for i, s in enumerate(sub) if not s.lstrip().startswith("#"))
                sub[first] = indent + "  - " + sub[first].lstrip()
                lines.extend(sub)
                extra = _optional_keys((*path, key, n), entry)
                if extra:
                    lines.append(f"{indent}    # Also available: {', '.join(extra)}")
        elif isinstance(item, str) and "\n" in item:
            lines.append(f"{indent}{key}: |")
            lines.extend(f"{indent}  {ln}" for ln in item.splitlines())
        else:
            lines.append(f"{indent}{key}: {_scalar(item)}")
    extra = _optional_keys(path, value) if path else []
    if extra and not (path and isinstance(path[-1], int)):
        lines.append(f"{indent}# Also available: {', '.join(extra)}")


def commented_defaults() -> str:
    lines = [
        "# Default values of capi-kamaji-proxmox (the Clastix chart's keys and defaults).",
        "# Every pool in nodePools takes the settings it does not set from the first pool below.",
        "# Full reference: README.md, or `capi-kamaji-proxmox values schema`.",
    ]
    _emit(DEFAULTS, (), "", lines)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reference table


def _type_name(annotation: Any) -> str:
    import types
    import typing

    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_type_name(a) for a in args))
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin is list:
        return "list"
    if origin is dict:
        return "map"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return {int: "int", str: "string", bool: "bool", float: "number"}.get(annotation, str(annotation))


def _default_at(path: list[str]) -> Any:
    from capi_kamaji_proxmox.values.defaults import POOL_DEFAULTS

    node: Any = DEFAULTS
    if path and path[0] == "nodePools[]":
        node, path = POOL_DEFAULTS, path[1:]
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _rows(model: type[BaseModel], prefix: list[str], rows: list[str]) -> None:
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = [*prefix, key]
        from capi_kamaji_proxmox.values.load import _unwrap_models

        children = _unwrap_models(info.annotation)
        default = _default_at(path)
        shown = "" if default is None else f"`{_scalar(default)}`"
        desc = (info.description or "").replace("|", "\\|")
        is_list = "list" in _type_name(info.annotation)
        if children and not (isinstance(default, dict) and not default and not is_list):
            rows.append(f"| `{'.'.join(path)}` | {_type_name(info.annotation)} |  | {desc} |")
            _rows(children[0], [*path[:-1], key + "[]"] if is_list else path, rows)
        else:
            rows.append(f"| `{'.'.join(path)}` | {_type_name(info.annotation)} | {shown} | {desc} |")


def reference_table() -> str:
    """The README's values reference, generated from the model so it cannot drift."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    _rows(Values, [], rows)
    return "\n".join(rows) + "\n"
