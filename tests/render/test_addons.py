"""Add-ons: what the HelmChartProxy / ClusterResourceSet carry, and what is refused, in both generations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from capi_kamaji_proxmox.values.errors import ValuesError
from tests.rendering import GENERATION_FLAGS, NOT_IN_CRDS, by_kind, cli, render_config
from tests.schema.crd_validator import CRDSet

GENS = ("current", "legacy")
TOLERATED = {
    "node.kubernetes.io/not-ready",
    "node.cloudprovider.kubernetes.io/uninitialized",
    "node.cluster.x-k8s.io/uninitialized",
}
SELECTS_DEMO = {"matchLabels": {"cluster.x-k8s.io/cluster-name": "demo"}}


@pytest.fixture(scope="module")
def crds() -> dict[str, CRDSet]:
    return {g: CRDSet.load(g) for g in GENS}


def accepted(crds: dict[str, CRDSet], generation: str, objs: list[dict[str, Any]]) -> None:
    for obj in objs:
        if obj["kind"] not in NOT_IN_CRDS:
            assert crds[generation].validate(obj, strict=True) == [], obj["kind"]


def cni(config: dict[str, Any], generation: str = "current") -> tuple[dict[str, Any], dict[str, Any]]:
    objs = render_config(config, generation=generation)
    (proxy,) = by_kind(objs, "HelmChartProxy")
    return proxy, yaml.safe_load(proxy["spec"]["valuesTemplate"])


@pytest.mark.parametrize("generation", GENS)
def test_calico_proxy_carries_pod_cidr_and_tolerations(crds: dict[str, CRDSet], generation: str) -> None:
    config = {
        "cluster": {"clusterNetwork": {"pods": {"cidrBlocks": ["10.244.0.0/16"]}}},
        "addons": {"cni": {"provider": "calico"}},
    }
    objs = render_config(config, generation=generation)
    accepted(crds, generation, objs)
    (proxy,) = by_kind(objs, "HelmChartProxy")
    spec = proxy["spec"]
    assert proxy["apiVersion"] == "addons.cluster.x-k8s.io/v1alpha1"
    assert spec["clusterSelector"] == SELECTS_DEMO
    assert (spec["repoURL"], spec["chartName"], spec["version"]) == (
        "https://docs.tigera.io/calico/charts",
        "tigera-operator",
        "v3.30.3",
    )
    values = yaml.safe_load(spec["valuesTemplate"])
    install = values["installation"]
    assert install["calicoNetwork"]["ipPools"] == [{"cidr": "10.244.0.0/16"}]
    assert {t["key"] for t in install["controlPlaneTolerations"]} == TOLERATED
    assert "controlPlaneNodeSelector" not in install and "nodeSelector" not in values
    (cl,) = by_kind(objs, "Cluster")
    assert cl["metadata"]["labels"]["cni"] == "calico"  # the chart's controlPlane.labels


def test_cilium_proxy_carries_pod_cidr_and_tolerations() -> None:
    proxy, values = cni({"addons": {"cni": {"provider": "cilium", "version": "1.18.1"}}})
    assert (proxy["spec"]["repoURL"], proxy["spec"]["chartName"]) == ("https://helm.cilium.io", "cilium")
    assert proxy["spec"]["version"] == "1.18.1"  # the user's version wins over the pinned one
    assert values["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"] == ["10.93.0.0/16"]  # the default pod CIDR
    assert {t["key"] for t in values["operator"]["tolerations"]} == TOLERATED


def test_user_values_merge_over_defaults_with_helms_rules() -> None:
    _, values = cni(
        {
            "addons": {
                "cni": {
                    "provider": "calico",
                    "values": {
                        "installation": {"controlPlaneTolerations": None, "calicoNetwork": {"bgp": "Disabled"}},
                        "apiServer": {"enabled": False},
                    },
                }
            }
        }
    )
    # a null replaces the tool's default and reaches Helm, where it deletes the chart's default too
    assert values["installation"]["controlPlaneTolerations"] is None
    assert values["installation"]["calicoNetwork"] == {"ipPools": [{"cidr": "10.93.0.0/16"}], "bgp": "Disabled"}
    assert values["apiServer"] == {"enabled": False}


def test_nothing_changes_for_chart_values_unless_set() -> None:
    objs = render_config({})
    assert not by_kind(objs, "HelmChartProxy") and not by_kind(objs, "ClusterResourceSet")
    assert not by_kind(render_config({"addons": {"cni": {"provider": "none"}}}), "HelmChartProxy")


@pytest.mark.parametrize("generation", GENS)
def test_chart_cni_label_is_on_the_cluster(generation: str) -> None:
    """The bug: the chart's ``cni: calico`` sat only on the KamajiControlPlane, which no add-on
    controller selects; ClusterResourceSet, CAAPH and Sveltos select Cluster labels."""
    (cl,) = by_kind(render_config({}, generation=generation), "Cluster")
    assert cl["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "demo", "cni": "calico"}


def test_cluster_labels_join_the_chart_labels() -> None:
    (cl,) = by_kind(render_config({"cluster": {"labels": {"team": "a", "cni": "cilium"}}}), "Cluster")
    assert cl["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "demo", "cni": "cilium", "team": "a"}
    (kcp,) = by_kind(render_config({"cluster": {"labels": {"team": "a"}}}), "KamajiControlPlane")
    assert "team" not in (kcp["metadata"].get("labels") or {})


def test_extra_addons_select_this_cluster() -> None:
    objs = render_config(
        {
            "cluster": {"name": "apps"},
            "addons": {
                "extra": [
                    {
                        "name": "metrics-server",
                        "repoURL": "https://kubernetes-sigs.github.io/metrics-server",
                        "chartName": "metrics-server",
                        "version": "3.12.2",
                        "values": {"args": ["--kubelet-insecure-tls"]},
                    }
                ]
            },
        }
    )
    (proxy,) = by_kind(objs, "HelmChartProxy")
    assert proxy["metadata"]["name"] == "apps-metrics-server"
    assert proxy["spec"]["clusterSelector"] == {"matchLabels": {"cluster.x-k8s.io/cluster-name": "apps"}}
    assert (proxy["spec"]["namespace"], proxy["spec"]["releaseName"]) == ("kube-system", "metrics-server")
    assert yaml.safe_load(proxy["spec"]["valuesTemplate"]) == {"args": ["--kubelet-insecure-tls"]}


@pytest.mark.parametrize(
    ("addons", "message"),
    [
        ({"cni": {"version": "v3.30.3"}}, "addons.cni.provider: required key is missing"),
        ({"cni": {"provider": "calico", "backend": "crs"}}, "addons.cni.manifest: required with backend crs"),
        ({"cni": {"provider": "calico", "backend": "caaph", "manifest": "kind: A"}}, "only used with backend crs"),
        ({"cni": {"provider": "calico", "manifest": "kind: A", "values": {"a": 1}}}, "addons.cni.values: only used"),
        ({"cni": {"provider": "calico", "manifest": "a: ["}}, "addons.cni.manifest: not a YAML manifest"),
        ({"cni": {"provider": "weave"}}, "addons.cni.provider: expected one of"),
        (
            {"extra": [{"name": "a", "repoURL": "https://x", "chartName": "c"}] * 2},
            "addons.extra[1].name: 'a' is already the name of addons.extra[0]",
        ),
        ({"extra": [{"name": "cni", "repoURL": "https://x", "chartName": "c"}]}, "reserved for addons.cni"),
        ({"extra": [{"name": "x", "repoURL": "ftp://x", "chartName": "c"}]}, "addons.extra[0].repoURL"),
    ],
)
def test_bad_addon_values_are_named(addons: dict[str, Any], message: str) -> None:
    with pytest.raises(ValuesError) as err:
        render_config({"addons": addons})
    assert message in str(err.value)


def test_cluster_labels_are_checked() -> None:
    with pytest.raises(ValuesError) as err:
        render_config({"cluster": {"labels": {"bad key!": "x", "cluster.x-k8s.io/cluster-name": "other"}}})
    assert "cluster.labels: 'bad key!' is not a valid label key" in str(err.value)
    assert "cluster.x-k8s.io/cluster-name is set by Cluster API" in str(err.value)


# --------------------------------------------------------------------------- crs, through the CLI

CALICO_MANIFEST = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: calico-node, namespace: kube-system}
spec:
  template:
    spec:
      containers:
        - name: calico-node
          env:
            - {name: CALICO_IPV4POOL_CIDR, value: "192.168.0.0/16"}
"""


def template(*args: str, generation: str = "current") -> Any:
    flags = [a for f in GENERATION_FLAGS[generation] for a in ("--api-versions", f)]
    return cli("template", "demo", "-o", "json", *flags, *args)


@pytest.mark.parametrize("generation", GENS)
def test_crs_from_set_file(crds: dict[str, CRDSet], tmp_path: Path, generation: str) -> None:
    manifest = tmp_path / "calico.yaml"
    manifest.write_text(CALICO_MANIFEST.replace("192.168.0.0/16", "10.93.0.0/16"))
    result = template(
        "--set", "addons.cni.provider=calico", "--set-file", f"addons.cni.manifest={manifest}", generation=generation
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    objs = json.loads(result.stdout)
    accepted(crds, generation, objs)
    (cm,) = by_kind(objs, "ConfigMap")
    (crs,) = by_kind(objs, "ClusterResourceSet")
    assert cm["data"] == {"cni.yaml": manifest.read_text()}
    assert crs["apiVersion"] == "addons.cluster.x-k8s.io/" + ("v1beta2" if generation == "current" else "v1beta1")
    assert crs["spec"] == {
        "clusterSelector": SELECTS_DEMO,
        "resources": [{"kind": "ConfigMap", "name": "demo-cni"}],
        "strategy": "ApplyOnce",
    }
    assert not by_kind(objs, "HelmChartProxy")


def test_crs_manifest_pod_pool_mismatch_warns(tmp_path: Path) -> None:
    manifest = tmp_path / "calico.yaml"
    manifest.write_text(CALICO_MANIFEST)
    result = template("--set", "addons.cni.provider=calico", "--set-file", f"addons.cni.manifest={manifest}")
    assert result.returncode == 0, result.stderr
    assert "pod pool 192.168.0.0/16 is not inside the cluster's pod CIDR" in result.stderr


def test_crs_payload_over_1mib_is_refused_with_its_size(tmp_path: Path) -> None:
    manifest = tmp_path / "big.yaml"
    manifest.write_text("kind: ConfigMap\n# " + "x" * (1024 * 1024) + "\n")
    size = manifest.stat().st_size
    result = template("--set", "addons.cni.provider=calico", "--set-file", f"addons.cni.manifest={manifest}")
    assert result.returncode != 0 and result.stdout == ""
    assert f"addons.cni.manifest: {size} bytes" in result.stderr and "1 MiB" in result.stderr
    assert "Traceback" not in result.stderr
