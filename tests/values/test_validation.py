"""Every validation rule, with its exact message; all problems are reported at once."""

from __future__ import annotations

from typing import Any

import pytest

from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import load_values, read_values_text, validate_config


def problems(config: dict[str, Any], release: str = "demo") -> list[str]:
    with pytest.raises(ValuesError) as err:
        validate_config(config, release_name=release)
    return err.value.problems


def pool(**kw: Any) -> dict[str, Any]:
    return {"nodePools": [{"name": "w", **kw}]}


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("unknown top key", {"clutser": {}}, ["clutser: unknown key; did you mean 'cluster'?"]),
    (
        "unknown nested key",
        {"cluster": {"controlPlane": {"replcas": 3}}},
        ["cluster.controlPlane.replcas: unknown key; did you mean 'cluster.controlPlane.replicas'?"],
    ),
    (
        "unknown pool key",
        pool(numCorez=2),
        ["nodePools[0].numCorez: unknown key; did you mean 'nodePools[0].numCores'?"],
    ),
    ("unknown key, no suggestion", pool(zzzz=1), ["nodePools[0].zzzz: unknown key"]),
    ("wrong type int", pool(replicas="three"), ["nodePools[0].replicas: expected an integer, got 'three'"]),
    (
        "wrong type bool",
        {"ipamProvider": {"enabled": "perhaps"}},
        ["ipamProvider.enabled: expected true or false, got 'perhaps'"],
    ),
    ("wrong type list", {"cluster": {"dnsServers": "8.8.8.8"}}, ["cluster.dnsServers: expected a list, got '8.8.8.8'"]),
    (
        "enum",
        pool(format="ext4"),
        ["nodePools[0].format: expected one of 'qcow2', 'raw' or 'vmdk', got 'ext4'"],
    ),
    (
        "dns label pool name",
        {"nodePools": [{"name": "Big_Pool"}]},
        [
            "nodePools[0].name: expected a DNS-1123 label (lowercase letters, digits and '-', starting and "
            "ending with a letter or digit), got 'Big_Pool'"
        ],
    ),
    (
        "dns label cluster name",
        {"cluster": {"name": "My.Cluster"}},
        [
            "cluster.name: 'My.Cluster' is not a valid cluster name; expected a DNS-1123 label (lowercase "
            "letters, digits and '-', starting and ending with a letter or digit)"
        ],
    ),
    (
        "version",
        {"cluster": {"version": "1.31.4"}},
        ["cluster.version: expected a Kubernetes version such as v1.31.4, got '1.31.4'"],
    ),
    (
        "alias conflict version",
        {"cluster": {"version": "v1.31.4", "controlPlane": {"version": "v1.32.0"}}},
        [
            "cluster.controlPlane.version: 'v1.32.0' conflicts with cluster.version 'v1.31.4'; set only "
            "cluster.version (controlPlane.version is its alias)"
        ],
    ),
    (
        "duplicate pools",
        {"nodePools": [{"name": "a"}, {"name": "a"}]},
        ["nodePools[1].name: 'a' is already the name of nodePools[0]"],
    ),
    (
        "autoscaling min > max",
        pool(autoscaling={"enabled": True, "minSize": 5, "maxSize": 2}),
        ["nodePools[0].autoscaling: minSize 5 is greater than maxSize 2"],
    ),
    (
        "replicas outside autoscaling range",
        pool(replicas=9, autoscaling={"enabled": True, "minSize": 1, "maxSize": 3}),
        ["nodePools[0].replicas: 9 is outside the autoscaling range [1, 3]"],
    ),
    (
        "memory multiple of 8",
        pool(memoryMiB=1001),
        ["nodePools[0].memoryMiB: expected a positive multiple of 8, got 1001"],
    ),
    ("memory positive", pool(memoryMiB=0), ["nodePools[0].memoryMiB: expected a positive multiple of 8, got 0"]),
    (
        "disk size",
        pool(disks={"bootVolume": {"disk": "scsi0", "sizeGb": 4}}),
        ["nodePools[0].disks.bootVolume.sizeGb: expected a number >= 5, got 4"],
    ),
    (
        "range not ascending",
        {"ipamProvider": {"ranges": ["192.168.100.250-192.168.100.10"]}},
        [
            "ipamProvider.ranges[0]: range '192.168.100.250-192.168.100.10' is not ascending "
            "(192.168.100.250 is after 192.168.100.10)"
        ],
    ),
    (
        "range malformed",
        {"ipamProvider": {"ranges": ["192.168.100.300"]}},
        [
            "ipamProvider.ranges[0]: '192.168.100.300' is not an IPv4 address, range or CIDR "
            "(Octet 300 (> 255) not permitted in '192.168.100.300')"
        ],
    ),
    (
        "range outside prefix",
        {"ipamProvider": {"ranges": ["192.168.100.10-192.168.100.20", "192.168.101.10-192.168.101.20"]}},
        ["ipamProvider.ranges: range '192.168.101.10-192.168.101.20' is outside the subnet 192.168.100.0/24"],
    ),
    (
        "gateway inside range",
        {"ipamProvider": {"gateway": "192.168.100.20"}},
        ["ipamProvider.gateway: 192.168.100.20 lies inside the range '192.168.100.10-192.168.100.250'"],
    ),
    (
        "gateway outside subnet",
        {"ipamProvider": {"gateway": "10.0.0.1"}},
        ["ipamProvider.gateway: 10.0.0.1 is outside the subnet 192.168.100.0/24 of ipamProvider.ranges"],
    ),
    (
        "prefix missing names the prefix key",
        {"ipamProvider": {"prefix": None}},
        ["ipamProvider.prefix: required key is missing"],
    ),
    (
        "device gateway outside its subnet",
        pool(
            network={
                "additionalDevices": [
                    {
                        "bridge": "vmbr1",
                        "ipv4": {"ranges": ["10.9.0.10-10.9.0.20"], "prefix": 24, "gateway": "10.8.0.1"},
                    }
                ]
            }
        ),
        [
            "nodePools[0].network.additionalDevices[0].ipv4.gateway: 10.8.0.1 is outside the subnet 10.9.0.0/24 "
            "of nodePools[0].network.additionalDevices[0].ipv4.ranges"
        ],
    ),
    (
        "overlapping node pools",
        pool(
            network={
                "additionalDevices": [
                    {"bridge": "vmbr1", "ipv4": {"ranges": ["192.168.100.50-192.168.100.60"], "prefix": 24}}
                ]
            }
        ),
        [
            "ipamProvider.ranges: range '192.168.100.10-192.168.100.250' overlaps "
            "nodePools[0].network.additionalDevices[0].ipv4.ranges range '192.168.100.50-192.168.100.60'; "
            "an address could be handed out twice"
        ],
    ),
    (
        "no template",
        pool(templateId=None),
        ["nodePools[0]: no VM template; set templateId with sourceNode, or templateSelector"],
    ),
    (
        "templateId without sourceNode",
        pool(sourceNode=None),
        ["nodePools[0].sourceNode: required with templateId (the node that holds the template)"],
    ),
    (
        "name too long",
        {"cluster": {"name": "c" * 58}},
        [
            "InClusterIPPool name: '" + "c" * 58 + "-ipam-ip-pool' is 71 characters, 8 over the limit of 63; "
            "shorten cluster.name (or the release name) or the pool name",
            "MachineDeployment name of pool 'default': '" + "c" * 58 + "-default-md' is 69 characters, 6 over the "
            "limit of 63; shorten cluster.name (or the release name) or the pool name",
        ],
    ),
    (
        "rollout both zero",
        pool(rollout={"maxSurge": 0, "maxUnavailable": 0}),
        ["nodePools[0].rollout: maxSurge and maxUnavailable cannot both be 0"],
    ),
    (
        "mhc startup",
        pool(machineHealthCheck={"enabled": True, "nodeStartupTimeout": "10s"}),
        ["nodePools[0].machineHealthCheck.nodeStartupTimeout: expected 0 (off) or at least 30s, got '10s'"],
    ),
    (
        "bad taint",
        pool(taints="dedicated=x"),
        ["nodePools[0].taints: taint 'dedicated=x' has no effect; expected key[=value]:Effect"],
    ),
    (
        "mtu",
        pool(network={"bridge": "vmbr0", "mtu": 900}),
        ["nodePools[0].network.mtu: expected 1 (inherit from the bridge) or 1280..65520, got 900"],
    ),
    (
        "ipam off needs cluster pool",
        {"ipamProvider": {"enabled": False}, "cluster": {"ipv4Config": None}},
        ["cluster.ipv4Config: required when ipamProvider is disabled (nodes need addresses)"],
    ),
]


@pytest.mark.parametrize(("config", "expected"), [(c, e) for _, c, e in CASES], ids=[n for n, _, _ in CASES])
def test_rule_message(config: dict[str, Any], expected: list[str]) -> None:
    assert problems(config) == expected


def test_all_problems_at_once() -> None:
    found = problems(
        {
            "nodePools": [
                {"name": "a", "memoryMiB": 1001},
                {"name": "a", "rollout": {"maxSurge": 0, "maxUnavailable": 0}},
            ]
        }
    )
    assert found == [
        "nodePools[0].memoryMiB: expected a positive multiple of 8, got 1001",
        "nodePools[1].name: 'a' is already the name of nodePools[0]",
        "nodePools[1].rollout: maxSurge and maxUnavailable cannot both be 0",
    ]


def test_both_template_sources_warn_and_id_wins() -> None:
    loaded = validate_config(pool(templateId=100, templateSelector={"matchTags": ["x"]}), release_name="demo")
    assert loaded.values.node_pools is not None
    assert loaded.values.node_pools[0].template_id == 100
    assert loaded.warnings == [
        "nodePools[0]: both templateId and templateSelector are set; templateId wins (as with the chart) and "
        "templateSelector is ignored — remove one to silence this warning"
    ]


def test_selector_only_pool_does_not_inherit_template_id() -> None:
    # A pool that names only a selector keeps only the selector: no inherited templateId/sourceNode.
    p = validate_config({"nodePools": [{"name": "g", "templateSelector": {"matchTags": ["x"]}}]}, release_name="d")
    assert p.values.node_pools is not None
    assert (p.values.node_pools[0].template_id, p.values.node_pools[0].source_node) == (None, None)


@pytest.mark.parametrize(
    "config",
    [
        {"nodePools": [{"name": "default", "replicas": 5}]},
        {"nodePools": [{"name": "default", "templateId": 101}]},
    ],
)
def test_seed_readme_examples_render_complete_pools(config: dict[str, Any]) -> None:
    loaded = validate_config(config, release_name="my-cluster")
    assert loaded.values.node_pools is not None
    p = loaded.values.node_pools[0]
    assert p.memory_mib == 8192 and p.network is not None and p.network.bridge == "vmbr0"
    assert p.disks is not None and p.disks.boot_volume is not None and p.disks.boot_volume.size_gb == 25


def test_controlplane_version_alias_and_credentials_alias() -> None:
    loaded = validate_config(
        {"cluster": {"controlPlane": {"version": "v1.32.1"}, "credentialsRef": {"name": "pve-creds"}}},
        release_name="d",
    )
    assert loaded.values.cluster is not None and loaded.values.cluster.version == "v1.32.1"
    assert loaded.values.proxmox is not None and loaded.values.proxmox.secret is not None
    assert loaded.values.proxmox.secret.name == "pve-creds"


def test_long_release_name_reports_every_overlong_name() -> None:
    release = "r" * 57
    assert problems({"nodePools": [{"name": "a", "machineHealthCheck": {"enabled": True}}]}, release=release) == [
        "InClusterIPPool name: '" + release + "-ipam-ip-pool' is 70 characters, 7 over the limit of 63; "
        "shorten cluster.name (or the release name) or the pool name",
    ]
    # 63 characters exactly is allowed: the MachineHealthCheck name (release + "-a-mhc") passes.
    assert len(release + "-a-mhc") == 63


def test_chart_string_numbers_accepted() -> None:
    loaded = validate_config(
        {"ipamProvider": {"prefix": "24"}, **pool(autoscaling={"minSize": "1", "maxSize": "6"})}, release_name="d"
    )
    assert loaded.values.ipam_provider is not None and loaded.values.ipam_provider.prefix == 24


def test_yaml_syntax_error_names_file_line_column() -> None:
    with pytest.raises(ValuesError) as err:
        read_values_text("cluster:\n  name: [a\n", "values.yaml")
    assert err.value.problems[0].startswith("values.yaml:3:1: YAML syntax error:")


def test_yaml_duplicate_key_is_an_error() -> None:
    with pytest.raises(ValuesError) as err:
        read_values_text("cluster:\n  name: a\n  name: b\n", "v.yaml")
    assert err.value.problems == ["v.yaml:3:3: YAML syntax error: duplicate key 'name' (first at line 2)"]


def test_top_level_must_be_a_map(tmp_path: Any) -> None:
    f = tmp_path / "v.yaml"
    f.write_text("- a\n")
    with pytest.raises(ValuesError) as err:
        load_values([str(f)], release_name="d")
    assert err.value.problems == [f"{f}: a values file must be a map at the top, got list"]


def test_missing_file() -> None:
    with pytest.raises(ValuesError) as err:
        load_values(["/nonexistent/values.yaml"], release_name="d")
    assert err.value.problems == ["/nonexistent/values.yaml: cannot read values file: No such file or directory"]


def test_negative_durations_are_refused() -> None:
    """A negative nodeDrainTimeout used to pass and be rejected by the server mid-apply (issue 10, item 4)."""
    found = problems(pool(nodeDrainTimeout=-5))
    assert len(found) == 1 and found[0].startswith("nodePools[0].nodeDrainTimeout:"), found
