"""The committed JSON Schema states every rule a JSON Schema can express, and no rule lint lacks.

Bad files: every rule case of test_validation plus typical editor mistakes; each must be rejected
by the schema, except the cases listed in NOT_EXPRESSIBLE (each with the reason). Good files: the
examples, the chart's values file and generated valid files must all pass.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import validate_config
from tests.paths import REPO_ROOT
from tests.rendering import EXAMPLES
from tests.strategies import values_files
from tests.values.test_chart_values import CHART_VALUES
from tests.values.test_validation import CASES, pool

SCHEMA = json.loads((REPO_ROOT / "values.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

MORE_BAD: list[tuple[str, dict[str, Any]]] = [
    ("label string with a bad key", pool(labels="bad key=x")),
    ("label map with a bad value", pool(labels={"tier": "not ok!"})),
    ("gateway not an address", {"ipamProvider": {"gateway": "gw.local"}}),
    ("cluster pool address malformed", {"cluster": {"ipv4Config": {"addresses": ["10.0.0.300"]}}}),
    (
        "additional device out of order",
        pool(network={"bridge": "vmbr0", "additionalDevices": [{"name": "net2", "bridge": "vmbr1"}]}),
    ),
    (
        "load balancer settings without LoadBalancer",
        {
            "cluster": {
                "controlPlane": {
                    "network": {"serviceType": "ClusterIP", "loadBalancerConfig": {"loadBalancerClass": "x"}}
                }
            }
        },
    ),
    ("no name servers", {"cluster": {"dnsServers": []}}),
    ("template id below 100", pool(templateId=50)),
    ("service monitor label key", {"cluster": {"metrics": {"serviceMonitorLabels": {"bad key": "x"}}}}),
    ("prefix string out of range", {"ipamProvider": {"prefix": "33"}}),
    ("device mtu", pool(network={"bridge": "vmbr0", "additionalDevices": [{"bridge": "b", "mtu": 100}]})),
    ("startup timeout seconds", pool(machineHealthCheck={"enabled": True, "nodeStartupTimeout": 10})),
    ("startup timeout milliseconds", pool(machineHealthCheck={"enabled": True, "nodeStartupTimeout": "2500ms"})),
]

# Rules a JSON Schema cannot state: lint catches these, editors do not.
NOT_EXPRESSIBLE = {
    "alias conflict version": "compares two keys",
    "duplicate pools": "uniqueness of one key across list items",
    "upgrade order names a missing pool": "a name must match another list's item (nodePools[].name)",
    "autoscaling min > max": "compares two keys",
    "replicas outside autoscaling range": "compares three keys",
    "range not ascending": "compares two addresses",
    "range outside prefix": "address arithmetic across keys",
    "gateway inside range": "address arithmetic across keys",
    "gateway outside subnet": "address arithmetic across keys",
    "prefix missing names the prefix key": "a null deletes the chart default; only the merged values show it",
    "device gateway outside its subnet": "address arithmetic across keys",
    "overlapping node pools": "address arithmetic across sections",
    "no template": "depends on the merged pool defaults",
    "templateId without sourceNode": "depends on the merged pool defaults",
    "name too long": "lengths of generated names",
}


def schema_errors(config: dict[str, Any]) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(config)]


BAD = [(name, cfg) for name, cfg, _ in CASES] + MORE_BAD


@pytest.mark.parametrize(("name", "config"), BAD, ids=[n for n, _ in BAD])
def test_lint_rejects_every_bad_file(name: str, config: dict[str, Any]) -> None:
    with pytest.raises(ValuesError):
        validate_config(config, release_name="demo")


def test_schema_rejects_every_bad_file_it_can() -> None:
    passing = {name for name, cfg in BAD if not schema_errors(cfg)}
    assert passing == set(NOT_EXPRESSIBLE)


@pytest.mark.parametrize("path", [*EXAMPLES, CHART_VALUES], ids=[*(p.stem for p in EXAMPLES), "chart-values"])
def test_schema_accepts_good_files(path: Any) -> None:
    assert schema_errors(yaml.safe_load(path.read_text())) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values_files())
def test_schema_accepts_generated_valid_files(config: dict[str, Any]) -> None:
    validate_config(config, release_name="demo")
    assert schema_errors(config) == []


def test_models_forbid_unknown_keys_in_the_schema() -> None:
    objects = [SCHEMA, *SCHEMA["$defs"].values()]
    assert all(o.get("additionalProperties") is False for o in objects)
