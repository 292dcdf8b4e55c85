"""Schema tier: rendered objects are accepted by the CRDs of their generation.

Examples and property-based values files (hypothesis), rendered in both generations, through the
offline validator in ``tests/schema`` (the harness's real API server is the final judge in the
integration tier).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capi_kamaji_proxmox.values.errors import ValuesError
from tests.render import webhooks
from tests.rendering import EXAMPLES, MIXED_ADDRESSING, NOT_IN_CRDS, render_config
from tests.schema.crd_validator import CRDSet

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


# --------------------------------------------------------------------------- generated values

names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
tags = st.lists(st.from_regex(r"[a-z0-9_][a-z0-9_\-.]{0,8}", fullmatch=True), min_size=1, max_size=3, unique=True)
durations = st.one_of(st.integers(30, 3600), st.sampled_from(["10m", "90s", "1h"]))


@st.composite
def pools(draw: st.DrawFn, name: str, subnet_base: int) -> dict[str, Any]:
    pool: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        lo = draw(st.integers(0, 3))
        pool["autoscaling"] = {"enabled": True, "minSize": lo, "maxSize": lo + draw(st.integers(0, 5))}
    else:
        pool["replicas"] = draw(st.integers(0, 10))
    if draw(st.booleans()):
        pool["templateSelector"] = {"matchTags": draw(tags)}
        if draw(st.booleans()):
            pool["templateSelector"]["matchPolicy"] = "exact"
        if draw(st.booleans()):
            pool["sourceNode"] = draw(names)  # not rendered next to a selector (issue 9, item 1)
    else:
        pool["templateId"] = draw(st.integers(100, 99999))
        pool["sourceNode"] = draw(names)
    pool["memoryMiB"] = 8 * draw(st.integers(64, 32768))
    pool["numCores"] = draw(st.integers(1, 32))
    pool["numSockets"] = draw(st.integers(1, 4))
    pool["disks"] = {
        "bootVolume": {"disk": draw(st.sampled_from(["scsi0", "virtio0"])), "sizeGb": draw(st.integers(5, 500))}
    }
    pool["format"] = draw(st.sampled_from(["qcow2", "raw", "vmdk"]))
    pool["allowedNodes"] = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    net: dict[str, Any] = {
        "bridge": draw(st.sampled_from(["vmbr0", "vmbr1"])),
        "model": draw(st.sampled_from(["virtio", "e1000"])),
    }
    if draw(st.booleans()):
        net["addressesFromPools"] = {"enabled": False}  # from cluster.ipv4Config even with IPAM on
    if draw(st.booleans()):
        net["vlan"] = draw(st.integers(1, 4094))
    if draw(st.booleans()):
        net["mtu"] = draw(st.sampled_from([1, 1500, 9000]))
    if draw(st.booleans()):
        dev: dict[str, Any] = {"bridge": "vmbr9"}
        if draw(st.booleans()):
            dev["ipv4"] = {"ranges": [f"10.{subnet_base}.0.10-10.{subnet_base}.0.20"], "prefix": 24}
        net["additionalDevices"] = [dev]
    pool["network"] = net
    if draw(st.booleans()):
        pool["users"] = [
            {"name": "ops", "sshAuthorizedKeys": ["ssh-ed25519 AAAA x@y"], "sudo": "ALL=(ALL) NOPASSWD:ALL"}
        ]
    if draw(st.booleans()):
        pool["labels"] = draw(st.sampled_from(["tier=web", "node-role.kubernetes.io/worker=", {"a": "b"}]))
    if draw(st.booleans()):
        pool["taints"] = draw(st.sampled_from(["a=b:NoSchedule", [{"key": "x", "effect": "NoExecute"}]]))
    if draw(st.booleans()):
        pool["preKubeadmCommands"] = ["echo pre"]
    if draw(st.booleans()):
        pool["rollout"] = {
            "maxSurge": draw(st.integers(1, 3)),
            "maxUnavailable": draw(st.integers(0, 2)),
            "deletePolicy": draw(st.sampled_from(["Random", "Newest", "Oldest"])),
        }
    if draw(st.booleans()):
        pool["nodeDrainTimeout"] = draw(durations)
    if draw(st.booleans()):
        pool["machineHealthCheck"] = {"enabled": True, "nodeStartupTimeout": draw(durations), "maxUnhealthy": "40%"}
    if draw(st.booleans()):
        pool["tags"] = draw(tags)
    if draw(st.booleans()):
        start = draw(st.integers(100, 100000))
        pool["vmIDRange"] = {"start": start, "end": start + draw(st.integers(0, 1000))}
    if draw(st.booleans()):
        pool["checks"] = {"skipQemuGuestAgent": draw(st.booleans())}
    if draw(st.booleans()):
        pool["pool"] = draw(names)
    return pool


@st.composite
def values_files(draw: st.DrawFn) -> dict[str, Any]:
    pool_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    base = ipaddress.IPv4Address("192.168.100.0")
    cfg: dict[str, Any] = {
        "cluster": {
            "name": draw(names),
            "version": f"v1.{draw(st.integers(28, 34))}.{draw(st.integers(0, 9))}",
            "clusterNetwork": {"apiServerPort": draw(st.integers(1, 65535))},
            "controlPlane": {"replicas": draw(st.integers(1, 3))},
            "dnsServers": draw(
                st.lists(st.sampled_from(["1.1.1.1", "8.8.8.8", "9.9.9.9"]), min_size=1, max_size=2, unique=True)
            ),
        },
        "ipamProvider": {
            "enabled": draw(st.booleans()),
            "ranges": [f"{base + 10}-{base + 200}"],
            "gateway": str(base + 1),
            "prefix": 24,
        },
        "nodePools": [draw(pools(n, i + 1)) for i, n in enumerate(pool_names)],
    }
    if not cfg["ipamProvider"]["enabled"]:
        cfg["cluster"]["ipv4Config"] = {
            "addresses": [f"{base + 10}-{base + 200}"],
            "gateway": str(base + 1),
            "prefix": 24,
        }
    else:
        # Beside the IPAM range: pools that opt out of it take addresses from here.
        cfg["cluster"]["ipv4Config"] = {
            "addresses": [f"{base + 201}-{base + 250}"],
            "gateway": str(base + 1),
            "prefix": 24,
        }
    if draw(st.booleans()):
        cfg["cluster"]["controlPlane"]["network"] = {
            "serviceType": "LoadBalancer",
            "certSANs": ["api.example.com"],
            "loadBalancerConfig": {"loadBalancerSourceRanges": ["10.0.0.0/8"]},
        }
    if draw(st.booleans()):
        cfg["cluster"]["metrics"] = {"enabled": True}
    return cfg


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
            assert err.value.problems == bare_devices[:1]
            continue
        objs = render_config(config, generation=generation)
        assert rejected(crds, generation, objs) == []
        assert webhooks.problems(objs) == []
