"""Schema tier: rendered objects are accepted by the CRDs of their generation.

Examples and property-based values files (hypothesis), rendered in both generations, through the
offline validator in ``tests/schema`` (the harness's real API server is the final judge in the
integration tier).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from capi_kamaji_proxmox.values.errors import ValuesError
from tests.render import webhooks
from tests.rendering import EXAMPLES, MIXED_ADDRESSING, NOT_IN_CRDS, render_config
from tests.schema.crd_validator import CRDSet
from tests.strategies import values_files

GENS = ("current", "legacy")


@pytest.fixture(scope="module")
def crds() -> dict[str, CRDSet]:
    return {g: CRDSet.load(g) for g in GENS}


def rejected(crds: dict[str, CRDSet], generation: str, objs: list[dict[str, Any]]) -> list[str]:
    out = []
    for obj in objs:
        if obj["kind"] in NOT_IN_CRDS:
            continue
        out += [f"{obj['kind']}/{obj['metadata']['name']}: {e}" for e in crds[generation].validate(obj, strict=True)]
    return out


@pytest.mark.parametrize("generation", GENS)
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_accepted(crds: dict[str, CRDSet], example: Any, generation: str) -> None:
    objs = render_config(yaml.safe_load(example.read_text()), generation=generation)
    assert objs
    assert rejected(crds, generation, objs) == []
    assert webhooks.problems(objs) == []


def test_webhook_checker_is_not_blind() -> None:
    objs = render_config({"nodePools": [{"name": "a", "replicas": 1}]})
    md = next(o for o in objs if o["kind"] == "MachineDeployment")
    md["spec"]["selector"]["matchLabels"]["extra"] = "x"
    pmt = next(o for o in objs if o["kind"] == "ProxmoxMachineTemplate")
    pmt["spec"]["template"]["spec"]["templateSelector"] = {"matchTags": ["a"]}
    assert webhooks.problems(objs) == [
        "ProxmoxMachineTemplate demo-a-proxmox-machine-template-"
        + pmt["metadata"]["name"].rsplit("-", 1)[1]
        + ": needs exactly one template source (the clone's CEL rule)",
        "MachineDeployment demo-a-md: selector does not match the template labels",
    ]


def test_validator_is_not_blind(crds: dict[str, CRDSet]) -> None:
    """A wrong field and a wrong type in rendered output are caught (the tier can fail)."""
    objs = render_config({})
    pmt = next(o for o in objs if o["kind"] == "ProxmoxMachineTemplate")
    pmt["spec"]["template"]["spec"]["numCorez"] = 2
    pmt["spec"]["template"]["spec"]["memoryMiB"] = "lots"
    errors = rejected(crds, "current", [pmt])
    assert len(errors) >= 2


@pytest.mark.parametrize("generation", GENS)
def test_mixed_addressing_accepted(crds: dict[str, CRDSet], generation: str) -> None:
    """IPAM on and one pool opted out: v1alpha2 puts the range in a zone, which needs dnsServers."""
    cfg = MIXED_ADDRESSING
    assert rejected(crds, generation, render_config(cfg, generation=generation)) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values_files())
def test_generated_values_accepted_in_both_generations(crds: dict[str, CRDSet], config: dict[str, Any]) -> None:
    bare_devices = [
        f"nodePools[{i}].network.additionalDevices[0].ipv4: required with CAPMOX v1alpha1 (each additional "
        "device needs its own address pool there)"
        for i, p in enumerate(config["nodePools"])
        if any("ipv4" not in d for d in p["network"].get("additionalDevices", []))
    ]
    for generation in GENS:
        if generation == "legacy" and bare_devices:
            with pytest.raises(ValuesError) as err:
                render_config(config, generation=generation)
            assert err.value.problems == bare_devices
            continue
        objs = render_config(config, generation=generation)
        assert rejected(crds, generation, objs) == []
        assert webhooks.problems(objs) == []
