"""Doctor's add-on checks: backend served (real API server, both generations), pod network, CNI choice."""

from __future__ import annotations

import pytest

from capi_kamaji_proxmox.preflight.addons import check_backends, check_cni_choice, check_pod_network
from capi_kamaji_proxmox.preflight.management import run_management_checks
from tests.harness.cluster import ControlPlane
from tests.preflight.conftest import config, loaded, product_client

CALICO = {"cni": {"provider": "calico"}}


@pytest.mark.integration
def test_caaph_and_crs_served_in_the_management_cluster(mgmt_cluster: ControlPlane, namespace: str) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    results, _ = run_management_checks(client, namespace, loaded(config(addons=CALICO)).values, "demo")
    assert [r.line() for r in results if r.name == "addons"] == [
        "PASS  addons: HelmChartProxy served in v1alpha1; addons.cni (calico, backend caaph) uses it"
    ]
    crs = config(addons={"cni": {"provider": "cilium", "manifest": "kind: ConfigMap\n"}})
    results, _ = run_management_checks(client, namespace, loaded(crs).values, "demo")
    version = "v1beta2" if mgmt_cluster.generation == "current" else "v1beta1"
    assert [r.line() for r in results if r.name == "addons"] == [
        f"PASS  addons: ClusterResourceSet served in {version}; addons.cni (cilium, backend crs) uses it"
    ]


def test_backend_not_served_names_the_fix() -> None:
    values = loaded(config(addons=CALICO)).values
    (res,) = check_backends(values, lambda kind: ("", f"{kind}: the Cluster API Add-on Provider Helm is not installed"))
    assert res.status == "fail"
    assert res.line().endswith(
        "-> install CAAPH: clusterctl init --addon helm (or set addons.cni.backend=crs with "
        "--set-file addons.cni.manifest=FILE)"
    )
    assert check_backends(loaded().values, lambda kind: ("v1", "")) == []  # no add-ons, nothing asked


def test_pod_cidr_overlapping_nodes_or_services_fails() -> None:
    ok = check_pod_network(loaded().values)
    assert ok.line() == "PASS  pod-network: pod CIDR 10.93.0.0/16 is clear of node and service ranges"
    bad = loaded(config(cluster={"clusterNetwork": {"pods": {"cidrBlocks": ["10.0.0.0/8"]}}})).values
    res = check_pod_network(bad)
    assert res.status == "fail"
    assert "10.0.0.0/8 overlaps ipamProvider.ranges 10.0.0.10-10.0.0.30" in res.found
    svc = loaded(
        config(
            cluster={
                "clusterNetwork": {
                    "pods": {"cidrBlocks": ["10.96.0.0/12"]},
                    "services": {"cidrBlocks": ["10.96.0.0/16"]},
                }
            }
        )
    ).values
    assert "overlaps cluster.clusterNetwork.services.cidrBlocks 10.96.0.0/16" in check_pod_network(svc).found


def test_no_cni_with_konnectivity_warns() -> None:
    res = check_cni_choice(loaded(config(addons={"cni": {"provider": "none"}})).values)
    assert res is not None and res.status == "warn" and "konnectivity" in res.found
    off = config(addons={"cni": {"provider": "none"}}, cluster={"controlPlane": {"addons": {"konnectivity": None}}})
    res = check_cni_choice(loaded(off).values)
    assert res is not None and res.status == "pass"
    assert check_cni_choice(loaded(config(addons=CALICO)).values) is None
