"""JSON Schema of the values file, with the chart's defaults filled in for editors."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.values.defaults import DEFAULTS, POOL_DEFAULTS
from capi_kamaji_proxmox.values.model import Values


def _fill_defaults(schema: dict[str, Any], defs: dict[str, Any], defaults: Any) -> None:
    if not isinstance(defaults, dict):
        return
    props = schema.get("properties", {})
    for key, value in defaults.items():
        prop = props.get(key)
        if prop is None:
            continue
        prop["default"] = value
        target = _resolve(prop, defs)
        if target is not None and isinstance(value, dict):
            _fill_defaults(target, defs, value)


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    for cand in [prop, *prop.get("anyOf", [])]:
        ref = cand.get("$ref")
        if ref:
            resolved: dict[str, Any] = defs[ref.rsplit("/", 1)[-1]]
            return resolved
    return None


# The chart writes these numbers as strings ("24", "1"); the tool accepts both, so must the schema.
NUMERIC_STRINGS = {"IPAMProvider": ["prefix"], "Autoscaling": ["minSize", "maxSize"]}


def _allow_numeric_strings(defs: dict[str, Any]) -> None:
    for model, keys in NUMERIC_STRINGS.items():
        for key in keys:
            prop = defs[model]["properties"][key]
            prop.setdefault("anyOf", []).insert(1, {"type": "string", "pattern": "^[0-9]+$"})


def values_schema() -> dict[str, Any]:
    schema = Values.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "capi-kamaji-proxmox values"
    defs = schema.get("$defs", {})
    _allow_numeric_strings(defs)
    top = {k: v for k, v in DEFAULTS.items() if k != "nodePools"}
    _fill_defaults(schema, defs, top)
    if "NodePool" in defs:
        _fill_defaults(defs["NodePool"], defs, POOL_DEFAULTS)
    schema["properties"]["nodePools"]["default"] = DEFAULTS["nodePools"]
    return schema
