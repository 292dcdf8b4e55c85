"""The autoscaler section of the values and what it renders (pure: no API server)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from capi_kamaji_proxmox.values.autoscaler import IMAGE_TAGS
from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import validate_config
from tests.rendering import REPO, by_kind, cli, render_config

GENS = ["current", "legacy"]
CAPACITY = "capacity.cluster-autoscaler.kubernetes.io/"
OPTIONS = "cluster.x-k8s.io/autoscaling-options-"


def values(**autoscaler: Any) -> dict[str, Any]:
    return {
        "autoscaler": {"enabled": True, **autoscaler},
        "nodePools": [
            {"name": "workers", "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 3}},
            {"name": "fixed", "replicas": 1},
        ],
    }


def deployment(objs: list[dict[str, Any]]) -> dict[str, Any]:
    (dep,) = by_kind(objs, "Deployment")
    return dep


def container(objs: list[dict[str, Any]]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment(objs)["spec"]["template"]["spec"]["containers"]
    return containers[0]


@pytest.mark.parametrize("gen", GENS)
def test_enabled_renders_account_role_binding_deployment(gen: str) -> None:
    objs = render_config(values(), generation=gen, namespace="team-a")
    tail = [(o["kind"], o["metadata"]["name"]) for o in objs[-4:]]
    assert tail == [
        ("ServiceAccount", "demo-cluster-autoscaler"),
        ("Role", "demo-cluster-autoscaler"),
        ("RoleBinding", "demo-cluster-autoscaler"),
        ("Deployment", "demo-cluster-autoscaler"),
    ]
    assert not by_kind(objs, "ClusterRole") and not by_kind(objs, "ClusterRoleBinding")
    args = container(objs)["args"]
    assert args[:4] == [
        "--cloud-provider=clusterapi",
        "--kubeconfig=/etc/kubernetes/workload/kubeconfig",
        "--clusterapi-cloud-config-authoritative",
        "--node-group-auto-discovery=clusterapi:namespace=team-a,clusterName=demo",
    ]
    assert "--leader-elect=true" in args
    pod = deployment(objs)["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "demo-cluster-autoscaler"
    assert pod["volumes"] == [
        {
            "name": "workload-kubeconfig",
            "secret": {"secretName": "demo-kubeconfig", "items": [{"key": "value", "path": "kubeconfig"}]},
        }
    ]


def test_role_grants_exactly_what_the_issue_lists() -> None:
    (role,) = by_kind(render_config(values()), "Role")
    grants = {
        (g, r, v) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]
    }
    expected = {
        ("cluster.x-k8s.io", r, v)
        for r in ("machinedeployments", "machinesets", "machines", "machinepools")
        for v in ("get", "list", "watch", "update")
    }
    expected |= {
        ("cluster.x-k8s.io", r, v)
        for r in ("machinedeployments/scale", "machinepools/scale")
        for v in ("get", "patch", "update")
    }
    expected |= {("infrastructure.cluster.x-k8s.io", "proxmoxmachinetemplates", v) for v in ("get", "list", "watch")}
    assert grants == expected


def test_restricted_security_context() -> None:
    objs = render_config(values())
    sc = container(objs)["securityContext"]
    assert sc == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert deployment(objs)["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_off_by_default_and_with_the_chart_defaults() -> None:
    assert not by_kind(render_config({}), "Deployment")
    out = cli("template", "demo", "-f", str(REPO / "examples" / "chart-defaults.yaml"))
    assert out.returncode == 0 and "cluster-autoscaler" not in out.stdout


@pytest.mark.parametrize(("version", "tag"), [(f"v{m}.3", t) for m, t in IMAGE_TAGS.items()])
def test_image_tag_follows_the_kubernetes_minor(version: str, tag: str) -> None:
    objs = render_config({**values(), "cluster": {"version": version}})
    assert container(objs)["image"] == f"registry.k8s.io/autoscaling/cluster-autoscaler:{tag}"


def test_image_tag_and_repository_can_be_set() -> None:
    objs = render_config(values(image={"repository": "mirror.local/ca", "tag": "v1.31.9"}))
    assert container(objs)["image"] == "mirror.local/ca:v1.31.9"


def test_unknown_minor_is_an_error_naming_the_key() -> None:
    with pytest.raises(ValuesError) as err:
        validate_config({**values(), "cluster": {"version": "v1.29.4"}}, release_name="demo")
    assert "autoscaler.image.tag: no Cluster Autoscaler release is known for Kubernetes 1.29" in str(err.value)
    # an explicit tag is the way out; without the autoscaler the minor does not matter
    validate_config({**values(image={"tag": "v1.29.6"}), "cluster": {"version": "v1.29.4"}}, release_name="demo")
    validate_config({"cluster": {"version": "v1.29.4"}}, release_name="demo")


def test_unknown_minor_through_the_cli_is_exit_2_without_traceback() -> None:
    out = cli("template", "demo", "--set", "autoscaler.enabled=true", "--set", "cluster.version=v1.40.0")
    assert out.returncode == 2
    assert "autoscaler.image.tag" in out.stderr and "Traceback" not in out.stderr


def test_settings_become_flags() -> None:
    objs = render_config(
        values(
            scaleDownEnabled=True,
            scaleDownUnneededTime="5m",
            scaleDownDelayAfterAdd=120,
            scaleDownUtilizationThreshold=0.4,
            maxNodeProvisionTime="20m",
            expander=["priority", "least-waste"],
            extraArgs=["--v=4"],
            resources={"requests": {"cpu": "50m"}},
            nodeSelector={"role": "infra"},
            tolerations=[{"key": "infra", "operator": "Exists"}],
            priorityClassName="system-cluster-critical",
        )
    )
    c = container(objs)
    assert c["args"][6:] == [
        "--scale-down-enabled=true",
        "--scale-down-unneeded-time=5m",
        "--scale-down-delay-after-add=120s",
        "--max-node-provision-time=20m",
        "--scale-down-utilization-threshold=0.4",
        "--expander=priority,least-waste",
        "--v=4",
    ]
    assert c["resources"] == {"requests": {"cpu": "50m"}}
    pod = deployment(objs)["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"role": "infra"}
    assert pod["tolerations"] == [{"key": "infra", "operator": "Exists"}]
    assert pod["priorityClassName"] == "system-cluster-critical"


@pytest.mark.parametrize("flag", ["--cloud-provider=aws", "--node-group-auto-discovery=clusterapi:", "--kubeconfig=/x"])
def test_extra_args_cannot_undo_the_scoping(flag: str) -> None:
    with pytest.raises(ValuesError) as err:
        validate_config(values(extraArgs=[flag]), release_name="demo")
    assert "autoscaler.extraArgs[0]" in str(err.value) and "set by the tool" in str(err.value)


def test_kubeconfig_secret_can_be_kamajis() -> None:
    objs = render_config(values(kubeconfigSecret={"name": "demo-admin-kubeconfig", "key": "admin.svc"}))
    vol = deployment(objs)["spec"]["template"]["spec"]["volumes"][0]
    assert vol["secret"] == {
        "secretName": "demo-admin-kubeconfig",
        "items": [{"key": "admin.svc", "path": "kubeconfig"}],
    }


def test_name_is_length_checked() -> None:
    long = "c" * 50
    with pytest.raises(ValuesError) as err:
        validate_config({**values(), "cluster": {"name": long}}, release_name="demo")
    assert f"autoscaler Deployment/ServiceAccount/Role name: '{long}-cluster-autoscaler'" in str(err.value)
    # the same cluster name is fine without the autoscaler
    validate_config({"cluster": {"name": long}, "nodePools": [{"name": "a", "replicas": 1}]}, release_name="demo")


@pytest.mark.parametrize("gen", GENS)
def test_per_pool_options_and_max_pods_are_annotations(gen: str) -> None:
    cfg = values()
    cfg["nodePools"][0]["autoscaling"].update(
        scaleDownUtilizationThreshold=0.3,
        scaleDownUnneededTime=600,
        scaleDownUnreadyTime="30m",
        maxNodeProvisionTime="1h",
        maxPods=60,
    )
    md = next(o for o in render_config(cfg, generation=gen) if o["metadata"]["name"] == "demo-workers-md")
    ann = md["metadata"]["annotations"]
    assert {k: v for k, v in ann.items() if k.startswith(OPTIONS)} == {
        OPTIONS + "scaledownutilizationthreshold": "0.3",
        OPTIONS + "scaledownunneededtime": "600s",
        OPTIONS + "scaledownunreadytime": "30m",
        OPTIONS + "maxnodeprovisiontime": "1h",
    }
    assert ann[CAPACITY + "maxPods"] == "60"
    assert "replicas" not in md["spec"]


def test_bad_per_pool_option_names_the_key() -> None:
    cfg = values()
    cfg["nodePools"][0]["autoscaling"]["scaleDownUtilizationThreshold"] = 1.5
    with pytest.raises(ValuesError) as err:
        validate_config(cfg, release_name="demo")
    assert re.search(r"nodePools\[0\]\.autoscaling\.scaleDownUtilizationThreshold", str(err.value))


def test_readme_version_table_is_the_code_table() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- autoscaler-versions:start -->")
    table = readme[start : readme.index("<!-- autoscaler-versions:end -->")]
    rows = re.findall(r"^\| (\d+\.\d+) \| `(v[\d.]+)` \|$", table, re.M)
    assert dict(rows) == IMAGE_TAGS
