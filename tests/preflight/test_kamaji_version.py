"""Kamaji's supported tenant versions: the verdict per image tag, and finding the controller's
Deployment on the real API server."""

from __future__ import annotations

import pytest

from capi_kamaji_proxmox.preflight.kamaji_version import check_kamaji_version, image_tag, judge
from tests.harness.cluster import ControlPlane
from tests.preflight.conftest import AdminClient, product_client


@pytest.mark.parametrize(
    ("tag", "version", "status", "fragment"),
    [
        ("v1.0.0", "v1.30.2", "pass", "supports v1.30.2 (v1.21.0 .. v1.30.2)"),
        ("v1.0.0", "v1.21.0", "pass", "supports v1.21.0"),
        ("v1.0.0", "v1.30.5", "warn", "newer patch of that minor"),
        ("v1.0.0", "v1.31.4", "fail", "cluster.version v1.31.4 is outside"),
        ("v1.0.0", "v1.20.9", "fail", "is outside"),
        ("edge-25.4.1", "v1.31.4", "warn", "not in this tool's table"),
        ("", "v1.31.4", "warn", "(untagged image)"),
    ],
)
def test_verdict_per_tag(tag: str, version: str, status: str, fragment: str) -> None:
    result = judge(tag, version)
    assert result.status == status and fragment in result.found


def test_image_tag_of_the_kamaji_container_only() -> None:
    def dep(*images: str) -> dict[str, object]:
        return {"spec": {"template": {"spec": {"containers": [{"image": i} for i in images]}}}}

    assert image_tag(dep("kube-rbac-proxy:v0.15", "docker.io/clastix/kamaji:v1.0.0")) == "v1.0.0"
    assert image_tag(dep("clastix/kamaji@sha256:abc")) == ""
    assert image_tag(dep("clastix/kamaji-console:v1")) is None
    assert image_tag(dep("nginx")) is None


@pytest.mark.integration
def test_found_by_its_deployment(mgmt_cluster: ControlPlane, namespace: str, admin: AdminClient) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    absent = check_kamaji_version(client, "v1.30.1")
    assert absent.status == "warn" and "no Kamaji controller Deployment found" in absent.found
    labels = {"app.kubernetes.io/name": "kamaji"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "kamaji", "namespace": namespace, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "manager", "image": "clastix/kamaji:v1.0.0"}]},
            },
        },
    }
    admin.apply(deployment, namespace=namespace, field_manager="test")
    try:
        ok = check_kamaji_version(client, "v1.30.1")
        assert (
            ok.line()
            == f"PASS  kamaji-version: Kamaji v1.0.0 ({namespace}/kamaji) supports v1.30.1 (v1.21.0 .. v1.30.2)"
        )
        bad = check_kamaji_version(client, "v1.31.4")
        assert bad.status == "fail" and "upgrade Kamaji first" in bad.fix
    finally:
        admin.request("DELETE", admin.object_path("apps/v1", "Deployment", "kamaji", namespace))
