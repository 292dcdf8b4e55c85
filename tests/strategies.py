"""Hypothesis strategies of valid values files, shared by the schema, values and differential tiers."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import strategies as st

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
