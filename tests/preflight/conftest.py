"""Helpers for preflight tests: values that fit the Proxmox simulator, and objects made via the real API."""

from __future__ import annotations

import base64
import copy
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml

from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config
from capi_kamaji_proxmox.preflight.management import bootstrap_rbac_manifests
from capi_kamaji_proxmox.values.load import LoadedValues, validate_config
from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeClient as AdminClient
from tests.proxmox.conftest import token_of  # noqa: F401 - re-exported for the preflight tests

DS_PATH = "/apis/kamaji.clastix.io/v1alpha1/datastores"

# A cluster the standard simulator inventory can serve: every Proxmox check passes.
BASE_CONFIG: dict[str, Any] = {
    "ipamProvider": {"enabled": True, "ranges": ["10.0.0.10-10.0.0.30"], "prefix": 24, "gateway": "10.0.0.1"},
    "cluster": {"allowedNodes": ["pve1", "pve2"], "controlPlane": {"dataStoreName": "ds"}},
    "nodePools": [
        {
            "name": "workers",
            "replicas": 5,
            "templateSelector": {"matchTags": ["k8s", "ubuntu"]},
            "storage": "ceph",
            "pool": "capi",
            "memoryMiB": 8192,
            "numCores": 4,
            "numSockets": 1,
            "disks": {"bootVolume": {"disk": "scsi0", "sizeGb": 40}},
            "network": {"bridge": "vmbr0"},
        }
    ],
}


def config(**overrides: Any) -> dict[str, Any]:
    """BASE_CONFIG with top-level keys deep-merged from ``overrides``."""
    out = copy.deepcopy(BASE_CONFIG)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def loaded(cfg: dict[str, Any] | None = None, release: str = "demo") -> LoadedValues:
    return validate_config(cfg if cfg is not None else config(), release_name=release)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def product_client(kubeconfig: str | Path, namespace: str) -> KubeClient:
    """The tool's own client, configured the way the CLI configures it."""
    return KubeClient(resolve_config(str(kubeconfig)), namespace=namespace)


def create_datastore(admin: AdminClient, name: str, ready: bool | None) -> None:
    """A PostgreSQL DataStore; ``ready`` is written through the status subresource (None: no status)."""
    body = {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "DataStore",
        "metadata": {"name": name},
        "spec": {
            "driver": "PostgreSQL",
            "endpoints": ["pg.example:5432"],
            "basicAuth": {"username": {"content": b64("kamaji")}, "password": {"content": b64("pw")}},
        },
    }
    admin.request("POST", DS_PATH, json=body, what=f"create DataStore {name}")
    if ready is None:
        return
    cond = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": "Ready" if ready else "ConnectionFailed",
        "message": "" if ready else "cannot connect to pg.example:5432",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    admin.request(
        "PATCH",
        f"{DS_PATH}/{name}/status",
        json={"status": {"ready": ready, "conditions": [cond]}},
        headers={"Content-Type": "application/merge-patch+json"},
        what=f"status of DataStore {name}",
    )


def create_secret(admin: AdminClient, namespace: str, name: str, data: dict[str, str]) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque", "stringData": data}
    admin.request("POST", f"/api/v1/namespaces/{namespace}/secrets", json=body, what=f"create Secret {name}")


def grant_bootstrap(admin: AdminClient, namespace: str, service_account: str) -> None:
    """The ClusterRole + binding the bootstrap-rbac check prints, under names unique to this test."""
    name = unique("bootstrap-kcp-reader")
    role, binding = bootstrap_rbac_manifests(namespace, service_account)
    role["metadata"]["name"] = name
    binding["metadata"]["name"] = name
    binding["roleRef"]["name"] = name
    for obj in (role, binding):
        admin.apply(obj)


@pytest.fixture
def admin(mgmt_cluster: ControlPlane) -> AdminClient:
    return mgmt_cluster.client


@pytest.fixture
def datastore(admin: AdminClient) -> str:
    """A ready DataStore with a unique name (cluster-scoped objects outlive a test)."""
    name = unique("ds")
    create_datastore(admin, name, ready=True)
    return name


def service_monitor_crd() -> dict[str, Any]:
    """The smallest CRD that serves monitoring.coreos.com/v1 ServiceMonitor."""
    return yaml.safe_load(
        """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servicemonitors.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, plural: servicemonitors, singular: servicemonitor, listKind: ServiceMonitorList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
    )
