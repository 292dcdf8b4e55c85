"""The kube layer against a real kube-apiserver (harness): discovery, SSA, errors, verbs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from lightkube.config import client_adapter
from lightkube.config.models import User

from capi_kamaji_proxmox.kube import (
    ApplyConflict,
    BadRequest,
    Forbidden,
    GroupNotServed,
    Invalid,
    KindRequest,
    KubeClient,
    NotFound,
    ObjectRef,
    UnknownFieldError,
    choose_versions,
    connect,
    delete,
    discovery,
    get,
    list_objects,
    watch,
)
from capi_kamaji_proxmox.kube.apply import apply
from capi_kamaji_proxmox.kube.client import resolve_config
from tests.harness.cluster import ControlPlane

pytestmark = pytest.mark.integration

EXPECTED = {
    "current": {"clusters": "v1beta2", "kamajicontrolplanes": "v1alpha2",
                "proxmoxmachinetemplates": "v1alpha2", "inclusterippools": "v1alpha2"},
    "legacy": {"clusters": "v1beta1", "kamajicontrolplanes": "v1alpha1",
               "proxmoxmachinetemplates": "v1alpha1", "inclusterippools": "v1alpha2"},
}  # fmt: skip

REQUESTS = [
    KindRequest("cluster.x-k8s.io", "clusters", ("v1beta2", "v1beta1"), "Cluster API core"),
    KindRequest("controlplane.cluster.x-k8s.io", "kamajicontrolplanes", ("v1alpha2", "v1alpha1"),
                "Kamaji control-plane provider"),
    KindRequest("infrastructure.cluster.x-k8s.io", "proxmoxmachinetemplates",
                ("v1alpha2", "v1alpha1"), "Cluster API Proxmox provider"),
    KindRequest("ipam.cluster.x-k8s.io", "inclusterippools", ("v1alpha2", "v1alpha1"),
                "Cluster API IPAM in-cluster provider"),
]  # fmt: skip


@pytest.fixture
def kc(mgmt_cluster: ControlPlane, namespace: str) -> Iterator[KubeClient]:
    client = connect(kubeconfig=mgmt_cluster.kubeconfig, namespace=namespace)
    yield client
    client.close()


def cm(name: str, data: dict[str, str], **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": data}


def test_discovery_per_kind(kc: KubeClient, mgmt_cluster: ControlPlane) -> None:
    got = choose_versions(kc, REQUESTS)
    versions = {plural: info.version for (_, plural), info in got.items()}
    assert versions == EXPECTED[mgmt_cluster.generation]
    assert all(info.namespaced for info in got.values())
    assert kc.counter.requests == [("GET", "/apis")]  # aggregated discovery: one request for every group


def test_core_kinds_by_one_aggregated_request(kc: KubeClient) -> None:
    d = discovery(kc)
    assert d.resolve("v1", "Pod").path("ns", "p") == "/api/v1/namespaces/ns/pods/p"
    pv = d.resolve("v1", "PersistentVolume")
    assert (pv.plural, pv.namespaced) == ("persistentvolumes", False)
    assert kc.counter.requests == [("GET", "/api")]


class PlainAccept(httpx2.BaseTransport):
    """A server (or proxy) that does not serve aggregated discovery: only plain JSON is asked for."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers["Accept"] = "application/json"
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_discovery_falls_back_to_one_request_per_group_version(
    kc: KubeClient, mgmt_cluster: ControlPlane, namespace: str
) -> None:
    config = resolve_config(str(mgmt_cluster.kubeconfig))
    verify = client_adapter.verify_cluster(config.cluster, config.user or User(), config.abs_file)
    with KubeClient(config, namespace=namespace, transport=PlainAccept(httpx2.HTTPTransport(verify=verify))) as plain:
        got = {k: v.version for k, v in choose_versions(plain, REQUESTS).items()}
        assert got == {k: v.version for k, v in choose_versions(kc, REQUESTS).items()}
        assert discovery(plain).resolve("v1", "Pod").plural == "pods"
        versions = EXPECTED[mgmt_cluster.generation]
        assert plain.counter.requests == [
            ("GET", "/apis"),
            *[("GET", f"/apis/{r.group}/{versions[r.plural]}") for r in REQUESTS],
            ("GET", "/api/v1"),
        ]


def test_discovery_missing_group(kc: KubeClient) -> None:
    req = KindRequest("addons.example.com", "widgets", ("v1",), "Widget provider")
    with pytest.raises(
        GroupNotServed, match=r"Widget provider is not installed: no addons\.example\.com API is served"
    ):
        choose_versions(kc, [req])


def test_apply_create_update_and_request_count(kc: KubeClient, namespace: str) -> None:
    kc.counter.reset()
    out = apply(kc, cm("a", {"k": "1"}))
    assert out["metadata"]["namespace"] == namespace and out["data"] == {"k": "1"}
    assert kc.counter.total == 1  # ConfigMap needs no discovery
    managers = [m["manager"] for m in out["metadata"]["managedFields"]]
    assert managers == ["capi-kamaji-proxmox"]
    out2 = apply(kc, cm("a", {"k": "2"}))
    assert out2["data"] == {"k": "2"}
    assert get(kc, ObjectRef("v1", "ConfigMap", "a", namespace))["data"] == {"k": "2"}


def test_dry_run_writes_nothing(kc: KubeClient, namespace: str) -> None:
    out = apply(kc, cm("dry", {"k": "v"}), dry_run=True)
    assert out["metadata"]["name"] == "dry"
    with pytest.raises(NotFound):
        get(kc, ObjectRef("v1", "ConfigMap", "dry", namespace))


def test_strict_field_validation_rejects_unknown_field(
    kc: KubeClient, mgmt_cluster: ControlPlane, namespace: str
) -> None:
    version = EXPECTED[mgmt_cluster.generation]["inclusterippools"]
    pool: dict[str, Any] = {
        "apiVersion": f"ipam.cluster.x-k8s.io/{version}",
        "kind": "InClusterIPPool",
        "metadata": {"name": "p"},
        "spec": {"addresses": ["10.0.0.10-10.0.0.20"], "prefix": 24, "gateway": "10.0.0.1",
                 "bogusField": True},
    }  # fmt: skip
    with pytest.raises(UnknownFieldError) as e:
        apply(kc, pool)
    assert e.value.fields == [".spec.bogusField"]
    assert ".spec.bogusField: field not declared in schema" in str(e.value)  # the server's words
    assert isinstance(e.value, BadRequest)
    with pytest.raises(NotFound):
        get(kc, ObjectRef(pool["apiVersion"], "InClusterIPPool", "p", namespace))
    del pool["spec"]["bogusField"]
    assert apply(kc, pool)["spec"]["prefix"] == 24


def test_invalid_object_is_422_with_server_message(kc: KubeClient, mgmt_cluster: ControlPlane) -> None:
    version = EXPECTED[mgmt_cluster.generation]["inclusterippools"]
    pool = {
        "apiVersion": f"ipam.cluster.x-k8s.io/{version}",
        "kind": "InClusterIPPool",
        "metadata": {"name": "bad"},
        "spec": {"addresses": ["10.0.0.10"], "prefix": 999},
    }
    with pytest.raises(Invalid) as e:
        apply(kc, pool)
    assert e.value.code == 422 and "spec.prefix" in str(e.value)


def test_conflict_with_other_manager(kc: KubeClient, namespace: str) -> None:
    apply(kc, cm("c", {"a": "1", "b": "1"}), field_manager="someone-else")
    with pytest.raises(ApplyConflict) as e:
        apply(kc, cm("c", {"a": "2"}))
    assert e.value.managers == ["someone-else"]
    assert [c.field for c in e.value.conflicts] == [".data.a"]
    out = apply(kc, cm("c", {"a": "2"}), force=True)
    assert out["data"]["a"] == "2"


def test_list_watch_delete(kc: KubeClient, namespace: str) -> None:
    apply(kc, cm("l1", {}, labels={"app": "x"}))
    apply(kc, cm("l2", {}, labels={"app": "y"}))
    names = [o["metadata"]["name"] for o in list_objects(kc, "v1", "ConfigMap", label_selector={"app": "x"})]
    assert names == ["l1"]
    assert len(list_objects(kc, "v1", "ConfigMap", limit=1)) >= 2  # pagination
    obj = get(kc, ObjectRef("v1", "ConfigMap", "l1", namespace))
    rv = obj["metadata"]["resourceVersion"]
    assert delete(kc, ObjectRef("v1", "ConfigMap", "l1", namespace)) is True
    assert delete(kc, ObjectRef("v1", "ConfigMap", "l1", namespace), missing_ok=True) is False
    with pytest.raises(NotFound):
        delete(kc, ObjectRef("v1", "ConfigMap", "l1", namespace))
    events = []
    for ev in watch(kc, "v1", "ConfigMap", name="l1", resource_version=rv, timeout_seconds=5):
        events.append(ev)
        if ev.type == "DELETED":
            break
    assert events and events[-1].type == "DELETED"
    assert events[-1].object["metadata"]["name"] == "l1"


def test_cluster_scoped_and_crd_kinds_resolve(kc: KubeClient, mgmt_cluster: ControlPlane) -> None:
    ns = list_objects(kc, "v1", "Namespace")
    assert any(o["metadata"]["name"] == kc.namespace for o in ns)
    apiv = "cluster.x-k8s.io/" + EXPECTED[mgmt_cluster.generation]["clusters"]
    assert list_objects(kc, apiv, "Cluster") == []


def test_forbidden_names_verb_and_resource(mgmt_cluster: ControlPlane, namespace: str) -> None:
    kubeconfig = mgmt_cluster.user_kubeconfig("nobody")
    with connect(kubeconfig=kubeconfig, namespace=namespace) as kc, pytest.raises(Forbidden) as e:
        get(kc, ObjectRef("v1", "Secret", "x", namespace))
    msg = str(e.value)
    assert 'cannot get resource "secrets"' in msg and '"nobody"' in msg
