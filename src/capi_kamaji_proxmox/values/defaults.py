"""The default values: the Clastix chart's values.yaml (chart 0.0.4), minus its dead defaults.

Dropped on purpose: ``nodePools[0].templateSelector`` (the chart rendered it only when templateId was
unset, which its own defaults never were) and ``cluster.credentialsRef`` (the chart never read it;
here it is an alias of ``proxmox.secret``). Added: ``cluster.version`` (the seed README's key; the
chart's ``cluster.controlPlane.version`` is its alias), ``cluster.clusterNetwork`` (rendered by
the chart as literals) and ``cluster.metrics.serviceMonitorLabels`` (the chart's literal label).
"""

from __future__ import annotations

import copy
from typing import Any

KUBERNETES_VERSION = "v1.31.4"

POOL_DEFAULTS: dict[str, Any] = {
    "replicas": 1,
    "autoscaling": {
        "enabled": False,
        "labels": {"autoscaling": "enabled"},
        "minSize": 1,
        "maxSize": 6,
    },
    "sourceNode": "pve",
    "allowedNodes": ["labs"],
    "pool": "",
    "templateId": 100,
    "network": {
        "bridge": "vmbr0",
        "model": "virtio",
        "dnsServers": ["8.8.8.8"],
        "addressesFromPools": {"enabled": True},
    },
    "storage": "local",
    "format": "qcow2",
    "disks": {"bootVolume": {"disk": "scsi0", "sizeGb": 25}},
    "memoryMiB": 8192,
    "numCores": 2,
    "numSockets": 2,
    "additionalCloudInitFiles": "#cloud-config\ntimezone: Europe/Rome\n",
    "users": [
        {
            "name": "ubuntu",
            "shell": "/bin/bash",
            "lockPassword": True,
            "sshAuthorizedKeys": [],
            "sudo": "ALL=(ALL) NOPASSWD:ALL",
        }
    ],
}

# Keys a pool inherits only when it does not pick its template by tags, and only when it is
# not autoscaled (replicas): inheriting them there would contradict what the pool asked for.
TEMPLATE_ID_KEYS = ("templateId", "sourceNode")

DEFAULTS: dict[str, Any] = {
    "proxmox": {"secret": {"name": "proxmox-secret", "namespace": ""}},
    "ipamProvider": {
        "enabled": True,
        "ranges": ["192.168.100.10-192.168.100.250"],
        "prefix": 24,
        "gateway": "192.168.100.1",
    },
    "cluster": {
        "name": "",
        "version": KUBERNETES_VERSION,
        "clusterNetwork": {
            "apiServerPort": 6443,
            "pods": {"cidrBlocks": ["10.93.0.0/16"]},
            "services": {"cidrBlocks": ["10.96.0.0/16"]},
            "serviceDomain": "cluster.local",
        },
        "controlPlane": {
            "labels": {"cni": "calico"},
            "replicas": 2,
            "dataStoreName": "default",
            "addons": {"coreDNS": {}, "kubeProxy": {}, "konnectivity": {}},
            "deployment": {
                "additionalMetadata": {"labels": {}, "annotations": {}},
                "podAdditionalMetadata": {"labels": {}, "annotations": {}},
                "affinity": {},
                "tolerations": [],
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "topologySpreadConstraints": [],
            },
            "kubelet": {
                "cgroupfs": "systemd",
                "preferredAddressTypes": ["InternalIP", "ExternalIP", "Hostname"],
            },
            "network": {"serviceType": "LoadBalancer", "serviceLabels": {}, "certSANs": []},
        },
        "allowedNodes": ["labs"],
        "dnsServers": ["8.8.8.8"],
        "ipv4Config": {"addresses": ["192.168.100.10"], "gateway": "192.168.100.1", "prefix": 24},
        "metrics": {
            "enabled": False,
            "serviceAccount": {
                "name": "kube-prometheus-stack-prometheus",
                "namespace": "monitoring-system",
            },
            "serviceMonitorLabels": {"release": "kube-prometheus-stack"},
        },
    },
    "nodePools": [{"name": "default", **POOL_DEFAULTS}],
}


def default_values() -> dict[str, Any]:
    """A fresh deep copy of the defaults (callers mutate what they get)."""
    return copy.deepcopy(DEFAULTS)


def pool_defaults() -> dict[str, Any]:
    return copy.deepcopy(POOL_DEFAULTS)
