"""Management-cluster checks against the harness API server, in both API generations."""

from __future__ import annotations

import pytest
import yaml

from capi_kamaji_proxmox.kube.discovery import discovery
from capi_kamaji_proxmox.preflight.management import (
    check_bootstrap_rbac,
    check_credentials_secret,
    check_datastore,
    check_ipam_provider,
    check_kinds,
    check_service_monitor,
    run_management_checks,
)
from capi_kamaji_proxmox.render.engine import needed_kinds
from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeClient as AdminClient
from tests.preflight.conftest import (
    config,
    create_datastore,
    create_secret,
    grant_bootstrap,
    loaded,
    product_client,
    service_monitor_crd,
    unique,
)

pytestmark = pytest.mark.integration

KINDS_LINE = {
    "current": "PASS  kinds: served infrastructure.cluster.x-k8s.io/v1alpha2: ProxmoxCluster, ProxmoxMachineTemplate; "
    "controlplane.cluster.x-k8s.io/v1alpha2: KamajiControlPlane; cluster.x-k8s.io/v1beta2: Cluster, "
    "MachineDeployment; bootstrap.cluster.x-k8s.io/v1beta2: KubeadmConfigTemplate",
    "legacy": "PASS  kinds: served infrastructure.cluster.x-k8s.io/v1alpha1: ProxmoxCluster, ProxmoxMachineTemplate; "
    "controlplane.cluster.x-k8s.io/v1alpha1: KamajiControlPlane; cluster.x-k8s.io/v1beta1: Cluster, "
    "MachineDeployment; bootstrap.cluster.x-k8s.io/v1beta1: KubeadmConfigTemplate",
}


# -- kinds / IPAM / ServiceMonitor -----------------------------------------------------------------


def test_kinds_served_with_their_version(mgmt_cluster: ControlPlane, namespace: str) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    values = loaded().values
    res = check_kinds(discovery(client), needed_kinds(values))
    assert res.line() == KINDS_LINE[mgmt_cluster.generation]


def test_ipam_provider_served(mgmt_cluster: ControlPlane, namespace: str) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    assert check_ipam_provider(discovery(client), needed=True).line() == (
        "PASS  ipam-provider: InClusterIPPool served in ipam.cluster.x-k8s.io/v1alpha2; the node pools use it"
    )


def test_service_monitor_served(mgmt_cluster: ControlPlane, namespace: str) -> None:
    # The harness installs the Prometheus operator's CRD from ../shared/crds (a missing one: see
    # test_nothing_installed).
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    values = loaded(config(cluster={"metrics": {"enabled": True}})).values
    results, _ = run_management_checks(client, namespace, values, "demo")
    sm = [r for r in results if r.name == "service-monitor"]
    assert [r.line() for r in sm] == ["PASS  service-monitor: ServiceMonitor served in monitoring.coreos.com/v1"]
    # Metrics off: the check is not asked at all.
    results, _ = run_management_checks(client, namespace, loaded().values, "demo")
    assert "service-monitor" not in [r.name for r in results]


def test_nothing_installed(bare_cluster: ControlPlane) -> None:
    """A bare API server: every provider check fails and names what to install."""
    ns = bare_cluster.create_namespace("bare")
    client = product_client(bare_cluster.kubeconfig, ns)
    values = loaded(config(cluster={"metrics": {"enabled": True}, "controlPlane": {"dataStoreName": "ds"}})).values
    results, creds = run_management_checks(client, ns, values, "demo")
    assert creds is None
    lines = [r.line() for r in results]
    assert lines[0] == (
        "FAIL  kinds: ProxmoxCluster: the Proxmox infrastructure provider (CAPMOX) is not installed (no "
        "infrastructure.cluster.x-k8s.io API is served); KamajiControlPlane: the Kamaji control-plane provider is "
        "not installed (no controlplane.cluster.x-k8s.io API is served); Cluster: Cluster API core is not installed "
        "(no cluster.x-k8s.io API is served); ProxmoxMachineTemplate: the Proxmox infrastructure provider (CAPMOX) "
        "is not installed (no infrastructure.cluster.x-k8s.io API is served); KubeadmConfigTemplate: the Cluster "
        "API kubeadm bootstrap provider is not installed (no bootstrap.cluster.x-k8s.io API is served); "
        "MachineDeployment: Cluster API core is not installed (no cluster.x-k8s.io API is served) -> install (or "
        "upgrade) the Proxmox infrastructure provider (CAPMOX) and the Kamaji control-plane provider and Cluster "
        "API core and the Cluster API kubeadm bootstrap provider in the management cluster (clusterctl init), then "
        "run doctor again"
    )
    assert lines[1] == (
        "FAIL  ipam-provider: InClusterIPPool: the in-cluster IPAM provider is not installed (no "
        "ipam.cluster.x-k8s.io API is served); ipamProvider or an additional device needs it -> install the "
        "in-cluster IPAM provider: clusterctl init --ipam in-cluster"
    )
    assert lines[2] == (
        "FAIL  service-monitor: ServiceMonitor: the Prometheus operator is not installed (no monitoring.coreos.com "
        "API is served); cluster.metrics.enabled needs it -> install the Prometheus operator (its CRDs), or set "
        "cluster.metrics.enabled=false"
    )
    assert lines[3].startswith("PASS  pod-network: ")
    assert lines[5] == (
        "FAIL  datastore[ds]: Kamaji is not installed (no datastores.kamaji.clastix.io served) -> install Kamaji "
        "in the management cluster (helm install kamaji clastix/kamaji)"
    )
    assert lines[6].startswith("WARN  kamaji-version: no Kamaji controller Deployment found")
    assert lines[7] == (
        f"FAIL  credentials-secret: Secret {ns}/proxmox-secret does not exist -> capi-kamaji-proxmox secret create "
        f"proxmox-secret -n {ns} --cluster-name demo (reads PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET)"
    )
    # Without IPAM pools in the values, a missing IPAM provider is only a warning (CAPMOX still wants it).
    no_ipam = loaded(
        config(
            ipamProvider={"enabled": False},
            cluster={"ipv4Config": {"addresses": ["10.0.0.10-10.0.0.30"], "gateway": "10.0.0.1", "prefix": 24}},
        )
    ).values
    assert "InClusterIPPool" not in needed_kinds(no_ipam)
    assert check_ipam_provider(discovery(client), needed=False).status == "warn"
    # Installing the Prometheus operator's CRD makes the ServiceMonitor check pass.
    admin = bare_cluster.client
    admin.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=service_monitor_crd())
    fresh = product_client(bare_cluster.kubeconfig, ns)
    import time

    deadline = time.monotonic() + 30
    while True:
        res = check_service_monitor(discovery(fresh))
        if res.status == "pass" or time.monotonic() > deadline:
            break
        discovery(fresh).refresh()
        time.sleep(0.2)
    assert res.line() == "PASS  service-monitor: ServiceMonitor served in monitoring.coreos.com/v1"


# -- bootstrap RBAC (SubjectAccessReview) ------------------------------------------------------------


def test_bootstrap_rbac_without_and_with_binding(mgmt_cluster: ControlPlane, namespace: str) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    sa = "capi-kubeadm-bootstrap-manager"
    res = check_bootstrap_rbac(client, discovery(client), namespace, sa)
    user = f"system:serviceaccount:{namespace}:{sa}"
    fix = (
        "kubectl create clusterrole capi-kubeadm-bootstrap-kamaji-reader --verb=get,list,watch "
        "--resource=kamajicontrolplanes.controlplane.cluster.x-k8s.io && kubectl create clusterrolebinding "
        "capi-kubeadm-bootstrap-kamaji-reader --clusterrole=capi-kubeadm-bootstrap-kamaji-reader "
        f"--serviceaccount={namespace}:{sa} (or apply the YAML doctor prints)"
    )
    if mgmt_cluster.generation == "current":
        assert res.line() == (
            f"FAIL  bootstrap-rbac: {user} may not get, list, watch kamajicontrolplanes; Cluster API v1.14 reads "
            f"the control plane's version and fails worker bootstrap with Forbidden without it -> {fix}"
        )
    else:
        assert res.line() == (
            f"WARN  bootstrap-rbac: {user} may not get, list, watch kamajicontrolplanes; Cluster API v1beta1 does "
            f"not need it yet, Cluster API v1.14 does -> {fix}"
        )
    # The printed YAML is exactly what makes the check pass: apply it as the user would.
    docs = [d for d in yaml.safe_load_all(res.detail) if d]
    assert [d["kind"] for d in docs] == ["ClusterRole", "ClusterRoleBinding"]
    assert docs[1]["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": namespace}]
    suffix = unique("t")
    for d in docs:  # cluster-scoped: rename so other tests on this server are unaffected
        d["metadata"]["name"] += f"-{suffix}"
    docs[1]["roleRef"]["name"] += f"-{suffix}"
    for d in docs:
        mgmt_cluster.client.apply(d)
    res = check_bootstrap_rbac(client, discovery(client), namespace, sa)
    assert res.line() == f"PASS  bootstrap-rbac: {user} may get, list, watch kamajicontrolplanes"
    assert res.detail == ""


def test_bootstrap_rbac_get_only_is_not_enough(mgmt_cluster: ControlPlane, namespace: str) -> None:
    admin = mgmt_cluster.client
    name = unique("kcp-get")
    admin.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": [
                {"apiGroups": ["controlplane.cluster.x-k8s.io"], "resources": ["kamajicontrolplanes"], "verbs": ["get"]}
            ],
        }
    )
    admin.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "boot", "namespace": namespace}],
        }
    )
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    res = check_bootstrap_rbac(client, discovery(client), namespace, "boot")
    assert res.status in ("fail", "warn")
    assert res.found.startswith(f"system:serviceaccount:{namespace}:boot may not list, watch kamajicontrolplanes;")


def test_bootstrap_rbac_cannot_ask(mgmt_cluster: ControlPlane, namespace: str) -> None:
    """A user without create on subjectaccessreviews gets a warning, not a false pass or fail."""
    client = product_client(mgmt_cluster.user_kubeconfig("nobody"), namespace)
    res = check_bootstrap_rbac(client, discovery(client), namespace, "boot")
    assert res.line() == (
        f"WARN  bootstrap-rbac: cannot ask whether system:serviceaccount:{namespace}:boot may read "
        "kamajicontrolplanes: creating SubjectAccessReviews is forbidden for your user -> run doctor with a user "
        "allowed to create subjectaccessreviews.authorization.k8s.io"
    )


# -- Kamaji DataStore ---------------------------------------------------------------------------------


def test_datastore_ready(mgmt_cluster: ControlPlane, namespace: str, datastore: str) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    res = check_datastore(client, discovery(client), datastore)
    assert res.line() == f"PASS  datastore[{datastore}]: DataStore {datastore} (PostgreSQL) is ready"


def test_datastore_not_ready(mgmt_cluster: ControlPlane, namespace: str, admin: AdminClient) -> None:
    name = unique("ds-down")
    create_datastore(admin, name, ready=False)
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    res = check_datastore(client, discovery(client), name)
    assert res.line() == (
        f"FAIL  datastore[{name}]: DataStore {name} (PostgreSQL) is not ready: Ready=False: cannot connect to "
        f"pg.example:5432 -> check Kamaji's logs and the endpoints and TLS/auth settings of DataStore {name} "
        f"(kubectl describe datastore {name})"
    )
    fresh = unique("ds-new")
    create_datastore(admin, fresh, ready=None)
    res = check_datastore(client, discovery(client), fresh)
    assert res.found == f"DataStore {fresh} (PostgreSQL) is not ready yet (Kamaji has not reported on it)"


def test_datastore_missing(mgmt_cluster: ControlPlane, namespace: str, datastore: str) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    name = unique("nope")
    res = check_datastore(client, discovery(client), name)
    assert res.status == "fail"
    assert res.found.startswith(f"DataStore {name} does not exist (existing: ")
    assert datastore in res.found
    assert res.fix == f"create DataStore {name} or set cluster.controlPlane.dataStoreName to an existing one"


# -- credentials Secret ---------------------------------------------------------------------------------


def test_credentials_secret(mgmt_cluster: ControlPlane, namespace: str, admin: AdminClient) -> None:
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    hidden = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc"
    create_secret(admin, namespace, "pve", {"url": "https://pve:8006", "token": "capmox@pve!capi", "secret": hidden})
    res, creds = check_credentials_secret(client, namespace, "pve", "demo")
    assert res.line() == f"PASS  credentials-secret: Secret {namespace}/pve has url, token (capmox@pve!capi) and secret"
    assert creds is not None and creds.secret == hidden
    assert hidden not in repr(creds)

    create_secret(admin, namespace, "partial", {"url": "https://pve:8006", "token": ""})
    res, creds = check_credentials_secret(client, namespace, "partial", "demo")
    assert creds is None
    assert res.line() == (
        f"FAIL  credentials-secret: Secret {namespace}/partial lacks key(s) secret and has empty key(s) token -> "
        f"recreate it with all of url, token, secret: capi-kamaji-proxmox secret create partial -n {namespace} "
        "--cluster-name demo (reads PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET)"
    )


def test_credentials_secret_namespace_from_values(
    mgmt_cluster: ControlPlane, namespace: str, admin: AdminClient
) -> None:
    other = mgmt_cluster.create_namespace("creds")
    create_secret(admin, other, "pve", {"url": "https://pve:8006", "token": "capmox@pve!capi", "secret": "s3cr3t-x"})
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    values = loaded(config(proxmox={"secret": {"name": "pve", "namespace": other}})).values
    results, creds = run_management_checks(client, namespace, values, "demo")
    assert {r.name: r.status for r in results}["credentials-secret"] == "pass"
    assert creds is not None and creds.url == "https://pve:8006"


def test_credentials_secret_forbidden(mgmt_cluster: ControlPlane, namespace: str) -> None:
    client = product_client(mgmt_cluster.user_kubeconfig("reader"), namespace)
    res, creds = check_credentials_secret(client, namespace, "pve", "demo")
    assert creds is None
    assert res.line() == (
        f"FAIL  credentials-secret: you may not read Secret {namespace}/pve -> grant your user get on secrets in "
        f"{namespace}, or run doctor as a user who can"
    )


# -- everything -------------------------------------------------------------------------------------------


def test_all_management_checks_pass(
    mgmt_cluster: ControlPlane, namespace: str, admin: AdminClient, datastore: str
) -> None:
    grant_bootstrap(admin, namespace, "boot")
    create_secret(
        admin, namespace, "proxmox-secret", {"url": "https://pve:8006", "token": "capmox@pve!capi", "secret": "x" * 36}
    )
    client = product_client(mgmt_cluster.kubeconfig, namespace)
    values = loaded(config(cluster={"controlPlane": {"dataStoreName": datastore}})).values
    results, creds = run_management_checks(
        client, namespace, values, "demo", bootstrap_namespace=namespace, bootstrap_service_account="boot"
    )
    assert [(r.name, r.status) for r in results] == [
        ("kinds", "pass"),
        ("ipam-provider", "pass"),
        ("pod-network", "pass"),
        ("bootstrap-rbac", "pass"),
        (f"datastore[{datastore}]", "pass"),
        ("kamaji-version", "warn"),  # no Kamaji controller Deployment in the harness (tested on its own)
        ("credentials-secret", "pass"),
    ]
    assert creds is not None


def test_unreachable_management_cluster(mgmt_cluster: ControlPlane, tmp_path: object) -> None:
    from pathlib import Path

    text = Path(mgmt_cluster.kubeconfig).read_text().replace(mgmt_cluster.server, "https://127.0.0.1:9")
    path = Path(str(tmp_path)) / "kc"
    path.write_text(text)
    client = product_client(path, "default")
    results, creds = run_management_checks(client, "default", loaded().values, "demo")
    assert creds is None
    assert len(results) == 1
    assert results[0].name == "management-cluster" and results[0].status == "fail"
    assert results[0].found.startswith("cannot reach https://127.0.0.1:9 (")


def test_bootstrap_rbac_severity_follows_the_controller_image(
    mgmt_cluster: ControlPlane, namespace: str, admin: AdminClient
) -> None:
    """The image tag of the bootstrap controller tells whether the grant is needed now (v1.14) or later."""

    def deploy(tag: str) -> None:
        labels = {"control-plane": "controller-manager"}
        admin.apply({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "capi-kubeadm-bootstrap-controller-manager", "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
                "containers": [{"name": "manager",
                                "image": f"registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:{tag}"}]}}},
        })  # fmt: skip

    client = product_client(mgmt_cluster.kubeconfig, namespace)
    user = f"system:serviceaccount:{namespace}:boot"
    deploy("v1.13.2")
    res = check_bootstrap_rbac(client, discovery(client), namespace, "boot")
    assert (res.status, res.found) == (
        "warn",
        f"{user} may not get, list, watch kamajicontrolplanes; Cluster API v1.13 does not need it yet, v1.14 does",
    )
    deploy("v1.14.0")
    res = check_bootstrap_rbac(client, discovery(client), namespace, "boot")
    assert (res.status, res.found) == (
        "fail",
        f"{user} may not get, list, watch kamajicontrolplanes; Cluster API v1.14 reads the control plane's version "
        "and fails worker bootstrap with Forbidden without it",
    )
