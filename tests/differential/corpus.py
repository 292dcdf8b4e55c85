"""Values files the chart and this tool are compared on: the chart's own file, the chart README's
examples (completed where the chart needs complete pools), hand-made files that set every chart
key, and generated files restricted to what the chart can render."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.paths import shared_dir

CHART_DIR = shared_dir() / "anchors" / "capi-kamaji-proxmox-0.0.4"
CHART_VALUES: Path = CHART_DIR / "values.yaml"


def chart_defaults() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CHART_VALUES.read_text())
    return loaded


def complete_pools(values: dict[str, Any]) -> dict[str, Any]:
    """The chart reads every pool key without defaults (a partial pool crashes it): fill each pool
    entry from the chart's default pool, as a user of the chart has to."""
    base = chart_defaults()["nodePools"][0]
    out = copy.deepcopy(values)
    out["nodePools"] = [_merged(base, pool) for pool in values.get("nodePools", [])]
    return out


def _merged(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in top.items()}}
    return copy.deepcopy(top)


# The examples of the chart's README (github.com/clastix/cluster-api-kamaji-proxmox), as written there.
README_EXAMPLES: dict[str, dict[str, Any]] = {
    "readme-autoscaling": {
        "nodePools": [
            {
                "name": "default",
                "replicas": 3,
                "autoscaling": {"enabled": True, "minSize": 2, "maxSize": 6, "labels": {"autoscaling": "enabled"}},
            }
        ]
    },
    "readme-secret": {"proxmox": {"secret": {"name": "sample-proxmox-secret", "namespace": "default"}}},
    "readme-upgrade": {"cluster": {"version": "v1.32.2"}, "nodePools": [{"name": "default", "templateId": 100}]},
    "readme-scaling": {"nodePools": [{"name": "default", "replicas": 5}]},
}

# Every key of the chart's values file set to something other than its default.
EVERY_KEY: dict[str, Any] = {
    "proxmox": {"secret": {"name": "pve-creds", "namespace": "capi-system"}},
    "ipamProvider": {
        "enabled": True,
        "ranges": ["10.20.0.10-10.20.0.99", "10.20.0.120"],
        "prefix": "23",
        "gateway": "10.20.0.1",
    },
    "cluster": {
        "name": "tenant-a",
        "clusterNetwork": {
            "apiServerPort": 8443,
            "serviceDomain": "tenant.local",
            "pods": {"cidrBlocks": ["10.244.0.0/16"]},
            "services": {"cidrBlocks": ["10.112.0.0/12"]},
        },
        "controlPlane": {
            "labels": {"cni": "cilium", "tier": "gold"},
            "replicas": 3,
            "dataStoreName": "etcd-gold",
            "addons": {"coreDNS": {"dnsServiceIPs": ["10.112.0.10"]}, "kubeProxy": {}, "konnectivity": None},
            "deployment": {
                "additionalMetadata": {"labels": {"team": "a"}, "annotations": {"owner": "ops"}},
                "podAdditionalMetadata": {"labels": {"pod": "cp"}, "annotations": {"scrape": "yes"}},
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "role", "operator": "In", "values": ["cp"]}]}
                            ]
                        }
                    }
                },
                "tolerations": [{"key": "cp", "operator": "Exists", "effect": "NoSchedule"}],
                "nodeSelector": {"kubernetes.io/os": "linux", "role": "cp"},
                "topologySpreadConstraints": [
                    {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}
                ],
            },
            "kubelet": {"cgroupfs": "cgroupfs", "preferredAddressTypes": ["Hostname", "InternalIP"]},
            "network": {
                "serviceType": "LoadBalancer",
                "serviceAddress": "10.30.0.5",
                "serviceAnnotations": {"metallb.io/loadBalancerIPs": "10.30.0.5"},
                "serviceLabels": {"expose": "lb"},
                "certSANs": ["api.tenant-a.example.com"],
            },
            "version": "v1.32.3",
        },
        "allowedNodes": ["pve1", "pve2"],
        "credentialsRef": {"name": "pve-creds", "namespace": "capi-system"},
        "dnsServers": ["1.1.1.1", "9.9.9.9"],
        "ipv4Config": {"addresses": ["10.20.1.10-10.20.1.50"], "gateway": "10.20.0.1", "prefix": 23},
        "metrics": {"enabled": True, "serviceAccount": {"name": "prometheus", "namespace": "monitoring"}},
    },
    "nodePools": [
        {
            "name": "workers",
            "replicas": 4,
            "autoscaling": {"enabled": False, "labels": {"autoscaling": "off"}, "minSize": "2", "maxSize": "8"},
            "sourceNode": "pve2",
            "allowedNodes": ["pve2"],
            "pool": "capi",
            "templateId": 9001,
            "templateSelector": {"matchTags": ["ubuntu-24.04"]},
            "network": {
                "bridge": "vmbr1",
                "model": "e1000",
                "dnsServers": ["9.9.9.9"],
                "addressesFromPools": {"enabled": False},
            },
            "storage": "ceph",
            "format": "raw",
            "disks": {"bootVolume": {"disk": "virtio0", "sizeGb": 60}},
            "memoryMiB": 16384,
            "numCores": 4,
            "numSockets": 1,
            "additionalCloudInitFiles": "#cloud-config\ntimezone: UTC\n",
            "users": [
                {
                    "name": "ops",
                    "shell": "/bin/zsh",
                    "passwd": "$6$rounds=4096$salt$hash",
                    "lockPassword": False,
                    "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3Nza ops@example"],
                    "sudo": "ALL=(ALL) ALL",
                }
            ],
            "labels": "tier=web,node-role.kubernetes.io/worker=",
            "taints": "dedicated=web:NoSchedule",
        },
        {
            "name": "batch",
            "autoscaling": {"enabled": True, "labels": {"autoscaler": "batch"}, "minSize": "0", "maxSize": "5"},
            "sourceNode": "pve1",
            "allowedNodes": ["pve1", "pve2"],
            "pool": "",
            "templateId": 0,
            "templateSelector": {"matchTags": ["ubuntu", "k8s-1.32"]},
            "network": {
                "bridge": "vmbr0",
                "model": "virtio",
                "dnsServers": ["1.1.1.1"],
                "addressesFromPools": {"enabled": True},
            },
            "storage": "local-lvm",
            "format": "qcow2",
            "disks": {"bootVolume": {"disk": "scsi0", "sizeGb": 40}},
            "memoryMiB": 32768,
            "numCores": 8,
            "numSockets": 2,
            "additionalCloudInitFiles": "",
            "users": [],
            "labels": "workload=batch",
            "taints": "batch=true:NoExecute",
        },
    ],
}

# IPAM off: every pool takes its address from cluster.ipv4Config.
IPAM_OFF: dict[str, Any] = {
    "ipamProvider": {"enabled": False},
    "cluster": {
        "ipv4Config": {"addresses": ["192.168.100.10-192.168.100.40"], "gateway": "192.168.100.1", "prefix": 24}
    },
}

# Three complete pools, one picking its template by tags.
MULTI_POOL: dict[str, Any] = complete_pools(
    {
        "nodePools": [
            {"name": "a", "replicas": 2},
            {"name": "b", "replicas": 1, "numCores": 8, "memoryMiB": 32768},
            {"name": "c", "replicas": 1, "templateId": "", "templateSelector": {"matchTags": ["debian"]}},
        ]
    }
)

CORPUS: dict[str, dict[str, Any]] = {
    **{name: complete_pools(v) if "nodePools" in v else v for name, v in README_EXAMPLES.items()},
    "every-key": EVERY_KEY,
    "ipam-off": IPAM_OFF,
    "multi-pool": MULTI_POOL,
    "metrics-on": {"cluster": {"metrics": {"enabled": True}}},
    # The Secret named only by the chart's credentialsRef key.
    "credentials-ref": {"cluster": {"credentialsRef": {"name": "pve-creds", "namespace": "capi-system"}}},
    # IPAM on, but the one pool takes its address from cluster.ipv4Config: the IPAM pool is unused.
    "ipam-unused": complete_pools(
        {
            "cluster": {
                "ipv4Config": {"addresses": ["192.168.100.2-192.168.100.9"], "gateway": "192.168.100.1", "prefix": 24}
            },
            "nodePools": [{"name": "default", "network": {"addressesFromPools": {"enabled": False}}}],
        }
    ),
}


# --------------------------------------------------------------------------- generated files

# A digit at the end: never a YAML 1.1 boolean or null ("y", "no", "on"), which helm reads so (it
# reads values files as YAML 1.1; this tool, like PyYAML, reads "y" and "n" as strings).
_names = st.from_regex(r"[a-z][a-z0-9]{0,4}[0-9]", fullmatch=True)
_tags = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,5}[0-9]", fullmatch=True), min_size=1, max_size=3, unique=True)


@st.composite
def _pool(draw: st.DrawFn, name: str) -> dict[str, Any]:
    pool: dict[str, Any] = {"name": name, "replicas": draw(st.integers(0, 5))}
    if draw(st.booleans()):
        lo = draw(st.integers(0, 3))
        pool["autoscaling"] = {"enabled": True, "minSize": lo, "maxSize": lo + draw(st.integers(0, 4))}
        pool["replicas"] = lo
    if draw(st.booleans()):
        pool["templateId"] = draw(st.sampled_from([0, ""]))
        pool["templateSelector"] = {"matchTags": draw(_tags)}
    else:
        pool["templateId"] = draw(st.integers(100, 9999))
    pool["memoryMiB"] = 1024 * draw(st.integers(1, 64))
    pool["numCores"] = draw(st.integers(1, 16))
    pool["numSockets"] = draw(st.integers(1, 2))
    pool["disks"] = {"bootVolume": {"disk": "scsi0", "sizeGb": draw(st.integers(5, 200))}}
    pool["network"] = {
        "bridge": draw(st.sampled_from(["vmbr0", "vmbr1"])),
        "model": draw(st.sampled_from(["virtio", "e1000"])),
    }
    if draw(st.booleans()):
        pool["labels"] = draw(st.sampled_from(["tier=web", "a=b,c=d", "node-role.kubernetes.io/worker="]))
    if draw(st.booleans()):
        pool["taints"] = draw(st.sampled_from(["a=b:NoSchedule", "x:NoExecute"]))
    return pool


@st.composite
def chart_values_files(draw: st.DrawFn) -> dict[str, Any]:
    """Values files the chart renders correctly: complete pools, the chart's own keys only."""
    names = draw(st.lists(_names, min_size=1, max_size=3, unique=True))
    values: dict[str, Any] = {
        "cluster": {
            "name": draw(_names),
            "controlPlane": {
                "replicas": draw(st.integers(1, 3)),
                "version": f"v1.{draw(st.integers(29, 33))}.{draw(st.integers(0, 9))}",
            },
            "dnsServers": draw(st.lists(st.sampled_from(["1.1.1.1", "8.8.8.8"]), min_size=1, max_size=2, unique=True)),
            "metrics": {"enabled": draw(st.booleans())},
        },
        "nodePools": [draw(_pool(n)) for n in names],
    }
    if not draw(st.booleans()):
        values["ipamProvider"] = {"enabled": False}
        values["cluster"]["ipv4Config"] = {
            "addresses": ["192.168.100.10-192.168.100.60"],
            "gateway": "192.168.100.1",
            "prefix": 24,
        }
    return complete_pools(values)
