"""JSON Schema of the values file, with the chart's defaults filled in for editors."""

from __future__ import annotations

import copy
from typing import Any

from capi_kamaji_proxmox.values.defaults import DEFAULTS, POOL_DEFAULTS
from capi_kamaji_proxmox.values.labels import LABEL_KEY_PATTERN as LABEL_KEY
from capi_kamaji_proxmox.values.labels import LABEL_VALUE_PATTERN as LABEL_VALUE
from capi_kamaji_proxmox.values.model import DNS_LABEL, Values

_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
# One range as parse_range reads it: a-b, a CIDR, or one address.
IP_RANGE = rf"^\s*{IPV4}(\s*-\s*{IPV4}|/([0-9]|[12][0-9]|3[0-2]))?\s*$"
_KEY = LABEL_KEY.strip("^$")
_VALUE = LABEL_VALUE.strip("^$")
# The chart's kubelet forms: "k=v,k2=v2" and "k=v:Effect,k2:Effect".
LABELS_STRING = rf"^\s*({_KEY}(\s*=\s*{_VALUE})?)?\s*(,\s*({_KEY}(\s*=\s*{_VALUE})?)?\s*)*$"
_TAINT = r"[^,=:\s][^,=:]*(=[^,:]*)?:(NoSchedule|PreferNoSchedule|NoExecute)"
TAINTS_STRING = rf"^\s*({_TAINT})?\s*(,\s*({_TAINT})?\s*)*$"
LABEL_MAP = {
    "propertyNames": {"pattern": LABEL_KEY},
    "additionalProperties": {"type": "string", "pattern": LABEL_VALUE},
}
MAX_NAMED_DEVICES = 9
SHORT_DURATION = r"^(([1-9]|[12][0-9])(\.[0-9]+)?s|([1-9][0-9]{3}|[12][0-9]{4})ms)$"
_MTU = {"anyOf": [{"const": 1}, {"minimum": 1280, "maximum": 65520}]}

# (model, key, JSON type of the member the rule applies to, rule), each mirroring a check in checks.py.
FIELD_RULES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("NodePool", "memoryMiB", "integer", {"exclusiveMinimum": 0, "multipleOf": 8}),
    ("PoolNetwork", "mtu", "integer", _MTU),
    ("ExtraDevice", "mtu", "integer", _MTU),
    ("IPAMProvider", "ranges", "array", {"items": {"type": "string", "pattern": IP_RANGE}}),
    ("IPv4Config", "addresses", "array", {"items": {"type": "string", "pattern": IP_RANGE}}),
    ("DeviceIPv4", "ranges", "array", {"items": {"type": "string", "pattern": IP_RANGE}}),
    ("IPAMProvider", "gateway", "string", {"pattern": f"^{IPV4}$"}),
    ("IPv4Config", "gateway", "string", {"pattern": f"^{IPV4}$"}),
    ("DeviceIPv4", "gateway", "string", {"pattern": f"^{IPV4}$"}),
    # Empty means the release name.
    ("ClusterValues", "name", "string", {"pattern": f"^$|{DNS_LABEL}", "maxLength": 63}),
    ("ClusterValues", "dnsServers", "array", {"minItems": 1}),
    ("NodePool", "labels", "string", {"pattern": LABELS_STRING}),
    ("NodePool", "labels", "object", LABEL_MAP),
    ("NodePool", "taints", "string", {"pattern": TAINTS_STRING}),
    ("Metrics", "serviceMonitorLabels", "object", LABEL_MAP),
    ("MachineHealthCheck", "nodeStartupTimeout", "integer", {"anyOf": [{"const": 0}, {"minimum": 30}]}),
    # The one-unit strings under 30s ("10s", "2500ms"); mixed units ("10s500ms") are left to lint.
    ("MachineHealthCheck", "nodeStartupTimeout", "string", {"not": {"pattern": SHORT_DURATION}}),
]
_ZERO = {"enum": [0, "0%"]}
OBJECT_RULES: dict[str, dict[str, Any]] = {
    "Rollout": {
        "not": {"required": ["maxSurge", "maxUnavailable"], "properties": {"maxSurge": _ZERO, "maxUnavailable": _ZERO}}
    },
    # Without the IPAM range, nodes take addresses from cluster.ipv4Config: it cannot be deleted.
    "Values": {
        "if": {
            "required": ["ipamProvider"],
            "properties": {"ipamProvider": {"required": ["enabled"], "properties": {"enabled": {"const": False}}}},
        },
        "then": {"properties": {"cluster": {"properties": {"ipv4Config": {"type": "object"}}}}},
    },
    "CPNetwork": {
        "if": {"required": ["loadBalancerConfig"], "properties": {"loadBalancerConfig": {"type": "object"}}},
        "then": {"properties": {"serviceType": {"enum": ["LoadBalancer", None]}}},
    },
}


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
NUMERIC_STRINGS = {
    "IPAMProvider": {"prefix": "^([0-9]|[12][0-9]|3[0-2])$"},
    "Autoscaling": {"minSize": "^[0-9]+$", "maxSize": "^[0-9]+$"},
}


def _allow_numeric_strings(defs: dict[str, Any]) -> None:
    for model, keys in NUMERIC_STRINGS.items():
        for key, pattern in keys.items():
            prop = defs[model]["properties"][key]
            prop.setdefault("anyOf", []).insert(1, {"type": "string", "pattern": pattern})


def _branch(prop: dict[str, Any], json_type: str) -> dict[str, Any]:
    """The member of a property's ``anyOf`` (or the property itself) that has this JSON type."""
    for cand in prop.get("anyOf", [prop]):
        if cand.get("type") == json_type:
            found: dict[str, Any] = cand
            return found
    raise KeyError(json_type)


def _add_rules(schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """Say in the schema what lint checks in ``checks.py`` and a JSON Schema can express.

    Editors then flag these mistakes while typing; lint's messages still come from ``checks.py``.
    Rules that compare keys (minSize <= maxSize, overlapping ranges, unique pool names, name
    lengths) or need the merged defaults cannot be stated here.
    """
    for model, prop, json_type, rule in FIELD_RULES:
        _branch(defs[model]["properties"][prop], json_type).update(copy.deepcopy(rule))
    for model, rule in OBJECT_RULES.items():
        (schema if model == "Values" else defs[model]).update(copy.deepcopy(rule))
    # templateId: 0 and "" mean "no template id" (the chart's reading).
    defs["NodePool"]["properties"]["templateId"]["anyOf"][1:1] = [{"const": 0}, {"const": ""}]
    # Additional devices are named net1, net2, ... in order.
    devices = _branch(defs["PoolNetwork"]["properties"]["additionalDevices"], "array")
    # (prefixItems replace items for the first entries, so each carries the device schema too.)
    devices["prefixItems"] = [
        {"allOf": [devices["items"], {"properties": {"name": {"const": f"net{i}"}}}]}
        for i in range(1, MAX_NAMED_DEVICES + 1)
    ]


def values_schema() -> dict[str, Any]:
    schema = Values.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "capi-kamaji-proxmox values"
    defs = schema.get("$defs", {})
    _allow_numeric_strings(defs)
    _add_rules(schema, defs)
    top = {k: v for k, v in DEFAULTS.items() if k != "nodePools"}
    _fill_defaults(schema, defs, top)
    if "NodePool" in defs:
        _fill_defaults(defs["NodePool"], defs, POOL_DEFAULTS)
    schema["properties"]["nodePools"]["default"] = DEFAULTS["nodePools"]
    return schema
