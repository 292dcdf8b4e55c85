"""What the chart got wrong, fixed: each rule checked on the rendered objects of both generations."""

from __future__ import annotations

from typing import Any

import pytest

from capi_kamaji_proxmox.values.errors import ValuesError
from tests.rendering import MIXED_ADDRESSING, by_kind, render_config

GENS = ["current", "legacy"]


def walk(value: Any) -> list[Any]:
    out = [value]
    if isinstance(value, dict):
        for v in value.values():
            out += walk(v)
    elif isinstance(value, list):
        for v in value:
            out += walk(v)
    return out


TWO_POOLS = {"nodePools": [{"name": "a", "replicas": 2}, {"name": "b", "replicas": 1}]}


@pytest.mark.parametrize("gen", GENS)
def test_each_pool_selector_selects_only_that_pool(gen: str) -> None:
    mds = by_kind(render_config(TWO_POOLS, generation=gen), "MachineDeployment")
    selectors = [md["spec"]["selector"]["matchLabels"] for md in mds]
    assert selectors[0] != selectors[1]
    for md, sel in zip(mds, selectors, strict=True):
        assert sel["cluster.x-k8s.io/deployment-name"] == md["metadata"]["name"]
        labels = md["spec"]["template"]["metadata"]["labels"]
        assert all(labels[k] == v for k, v in sel.items())


@pytest.mark.parametrize("gen", GENS)
def test_autoscaled_pool_omits_replicas_and_carries_bounds_and_capacity(gen: str) -> None:
    cfg = {
        "nodePools": [
            {
                "name": "z",
                "numCores": 4,
                "numSockets": 2,
                "memoryMiB": 16384,
                "autoscaling": {"enabled": True, "minSize": 0, "maxSize": 5, "labels": {"team": "x"}},
                "labels": "tier=batch",
                "taints": "batch=true:NoSchedule",
            }
        ]
    }
    (md,) = by_kind(render_config(cfg, generation=gen), "MachineDeployment")
    assert "replicas" not in md["spec"]
    assert md["metadata"]["annotations"] == {
        "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "0",
        "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "5",
        "capacity.cluster-autoscaler.kubernetes.io/cpu": "8",
        "capacity.cluster-autoscaler.kubernetes.io/memory": "16384Mi",
        "capacity.cluster-autoscaler.kubernetes.io/ephemeral-disk": "25Gi",
        "capacity.cluster-autoscaler.kubernetes.io/labels": "tier=batch",
        "capacity.cluster-autoscaler.kubernetes.io/taints": "batch=true:NoSchedule",
    }
    assert md["metadata"]["labels"]["team"] == "x"


def test_fixed_pool_has_replicas_and_no_autoscaler_annotations() -> None:
    (md,) = by_kind(render_config({"nodePools": [{"name": "a", "replicas": 4}]}), "MachineDeployment")
    assert md["spec"]["replicas"] == 4
    assert "annotations" not in md["metadata"]


@pytest.mark.parametrize("gen", GENS)
def test_api_server_port_honoured(gen: str) -> None:
    (cl,) = by_kind(render_config({"cluster": {"clusterNetwork": {"apiServerPort": 7443}}}, generation=gen), "Cluster")
    assert cl["spec"]["clusterNetwork"]["apiServerPort"] == 7443


@pytest.mark.parametrize("gen", GENS)
def test_no_empty_values_rendered(gen: str) -> None:
    objs = render_config({}, generation=gen)
    assert [(o["kind"], v) for o in objs for v in walk(o) if v is None or v == []] == []
    # The only "" values are label values (node-role.kubernetes.io/node: "").
    blanks = [(o["kind"], k) for o in objs for m in walk(o) if isinstance(m, dict) for k, v in m.items() if v == ""]
    assert blanks == [("MachineDeployment", "node-role.kubernetes.io/node")]
    # The only {} are the enabled addons of the control plane.
    kcp = by_kind(objs, "KamajiControlPlane")[0]
    assert kcp["spec"]["addons"] == {"coreDNS": {}, "kubeProxy": {}, "konnectivity": {}}
    assert [o["kind"] for o in objs for v in walk(o) if v == {}] == ["KamajiControlPlane"] * 3


@pytest.mark.parametrize("gen", GENS)
def test_template_never_has_source_node_with_selector(gen: str) -> None:
    cfg = {"nodePools": [{"name": "g", "templateSelector": {"matchTags": ["ubuntu"]}}]}
    (pmt,) = by_kind(render_config(cfg, generation=gen), "ProxmoxMachineTemplate")
    spec = pmt["spec"]["template"]["spec"]
    assert "sourceNode" not in spec and "templateID" not in spec
    assert spec["templateSelector"]["matchTags"] == ["ubuntu"]
    both = {"nodePools": [{"name": "g", "templateId": 100, "templateSelector": {"matchTags": ["u"]}}]}
    spec2 = by_kind(render_config(both, generation=gen), "ProxmoxMachineTemplate")[0]["spec"]["template"]["spec"]
    assert "templateSelector" not in spec2 and spec2["templateID"] == 100 and spec2["sourceNode"] == "pve"


def first_nic_sources(objs: list[dict[str, Any]]) -> list[str]:
    """Every pool a machine's first NIC would claim an IPv4 address from, per generation's semantics."""
    pc = by_kind(objs, "ProxmoxCluster")[0]
    pmt = by_kind(objs, "ProxmoxMachineTemplate")[0]
    net = pmt["spec"]["template"]["spec"]["network"]
    if pmt["apiVersion"].endswith("v1alpha1"):
        ref = net["default"].get("ipv4PoolRef")
        return [f"InClusterIPPool/{ref['name']}"] if ref else ["ProxmoxCluster.ipv4Config"]
    # v1alpha2: net0 always claims from the cluster default pool (or its zone's) plus each ipPoolRef.
    dev = net["networkDevices"][0]
    default = f"zone/{net['zone']}" if net.get("zone") else "ProxmoxCluster.ipv4Config"
    assert "ipv4Config" in pc["spec"]
    return [default] + [f"InClusterIPPool/{r['name']}" for r in dev.get("ipPoolRef", [])]


@pytest.mark.parametrize("gen", GENS)
@pytest.mark.parametrize("ipam", [True, False])
def test_first_nic_gets_exactly_one_address_source(gen: str, ipam: bool) -> None:
    objs = render_config({"ipamProvider": {"enabled": ipam}}, generation=gen)
    assert len(first_nic_sources(objs)) == 1


def test_chart_defaults_no_address_handed_out_twice_legacy() -> None:
    objs = render_config({}, generation="legacy")
    (pool,) = by_kind(objs, "InClusterIPPool")
    pc = by_kind(objs, "ProxmoxCluster")[0]
    # The ProxmoxCluster's own pool address lies inside the node range: it is excluded there.
    assert pc["spec"]["ipv4Config"]["addresses"] == ["192.168.100.10"]
    assert pool["spec"]["excludedAddresses"] == ["192.168.100.10"]


def test_chart_defaults_current_node_range_on_cluster_pool() -> None:
    objs = render_config({})
    assert by_kind(objs, "InClusterIPPool") == []
    pc = by_kind(objs, "ProxmoxCluster")[0]
    assert pc["spec"]["ipv4Config"] == {
        "addresses": ["192.168.100.10-192.168.100.250"],
        "gateway": "192.168.100.1",
        "prefix": 24,
    }


def test_mixed_addressing_uses_zone_in_current() -> None:
    cfg = MIXED_ADDRESSING
    objs = render_config(cfg)
    pc = by_kind(objs, "ProxmoxCluster")[0]
    assert pc["spec"]["ipv4Config"]["addresses"] == ["192.168.100.2-192.168.100.9"]
    assert pc["spec"]["zoneConfig"][0]["zone"] == "ipam"
    a, b = by_kind(objs, "ProxmoxMachineTemplate")
    assert a["spec"]["template"]["spec"]["network"]["zone"] == "ipam"
    assert "zone" not in b["spec"]["template"]["spec"]["network"]


def test_mixed_addressing_overlap_rejected() -> None:
    cfg = {"nodePools": [{"name": "b", "replicas": 1, "network": {"addressesFromPools": {"enabled": False}}}]}
    with pytest.raises(ValuesError) as err:
        render_config({"ipamProvider": {"enabled": True}, **cfg})
    # The chart defaults put 192.168.100.10 in both pools; once both hand out node addresses, that is an error.
    assert err.value.problems == [
        "ipamProvider.ranges: range '192.168.100.10-192.168.100.250' overlaps cluster.ipv4Config.addresses "
        "range '192.168.100.10'; an address could be handed out twice"
    ]


@pytest.mark.parametrize("gen", GENS)
def test_node_role_labels_go_to_machines_not_kubelet(gen: str) -> None:
    cfg = {"nodePools": [{"name": "a", "replicas": 1, "labels": "node-role.kubernetes.io/worker=,tier=web"}]}
    objs = render_config(cfg, generation=gen)
    md = by_kind(objs, "MachineDeployment")[0]
    assert md["spec"]["template"]["metadata"]["labels"]["node-role.kubernetes.io/worker"] == ""
    kct = by_kind(objs, "KubeadmConfigTemplate")[0]
    args = kct["spec"]["template"]["spec"]["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]
    flat = args if isinstance(args, dict) else {a["name"]: a["value"] for a in args}
    assert flat["node-labels"] == "tier=web"


def test_match_policy_needs_v1alpha2() -> None:
    cfg = {"nodePools": [{"name": "g", "templateSelector": {"matchTags": ["u"], "matchPolicy": "bestSubset"}}]}
    assert (
        by_kind(render_config(cfg), "ProxmoxMachineTemplate")[0]["spec"]["template"]["spec"]["templateSelector"][
            "matchPolicy"
        ]
        == "bestSubset"
    )
    with pytest.raises(ValuesError) as err:
        render_config(cfg, generation="legacy")
    assert err.value.problems == [
        "nodePools[0].templateSelector.matchPolicy: 'bestSubset' needs CAPMOX v1alpha2; v1alpha1 matches tags exactly"
    ]


@pytest.mark.parametrize("gen", GENS)
def test_health_check_selects_only_its_pool(gen: str) -> None:
    cfg = {
        "nodePools": [
            {"name": "a", "replicas": 1, "machineHealthCheck": {"enabled": True}},
            {"name": "b", "replicas": 1},
        ]
    }
    objs = render_config(cfg, generation=gen)
    (mhc,) = by_kind(objs, "MachineHealthCheck")
    md = by_kind(objs, "MachineDeployment")[0]
    assert mhc["spec"]["selector"] == md["spec"]["selector"]


def test_namespace_on_every_namespaced_object() -> None:
    objs = render_config({"cluster": {"metrics": {"enabled": True}}}, namespace="tenants")
    assert {o["metadata"]["namespace"] for o in objs} == {"tenants"}
    pc = by_kind(objs, "ProxmoxCluster")[0]
    assert pc["spec"]["credentialsRef"] == {"name": "proxmox-secret", "namespace": "tenants"}


def test_order_is_dependency_order() -> None:
    objs = render_config(
        {
            "cluster": {"metrics": {"enabled": True}},
            "nodePools": [{"name": "a", "replicas": 1, "machineHealthCheck": {"enabled": True}}],
        },
        generation="legacy",
    )
    assert [o["kind"] for o in objs] == [
        "InClusterIPPool",
        "ProxmoxCluster",
        "KamajiControlPlane",
        "Cluster",
        "ProxmoxMachineTemplate",
        "KubeadmConfigTemplate",
        "MachineDeployment",
        "MachineHealthCheck",
        "Service",
        "ServiceMonitor",
        "Role",
        "RoleBinding",
    ]


@pytest.mark.parametrize("gen", GENS)
def test_source_node_and_selector_render_the_selector(gen: str) -> None:
    cfg = {
        "nodePools": [{"name": "g", "replicas": 1, "sourceNode": "pve2", "templateSelector": {"matchTags": ["b", "a"]}}]
    }
    (pmt,) = by_kind(render_config(cfg, generation=gen), "ProxmoxMachineTemplate")
    spec = pmt["spec"]["template"]["spec"]
    assert spec["templateSelector"]["matchTags"] == ["a", "b"]  # sorted: the order carries no meaning
    assert "templateID" not in spec and "sourceNode" not in spec


@pytest.mark.parametrize("gen", GENS)
def test_service_monitor_keeps_chart_label_and_relabeling(gen: str) -> None:
    objs = render_config({"cluster": {"metrics": {"enabled": True}}}, generation=gen)
    (sm,) = by_kind(objs, "ServiceMonitor")
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    api = sm["spec"]["endpoints"][0]
    assert api["port"] == "kube-apiserver-metrics"
    (drop,) = api["metricRelabelings"]
    assert drop["action"] == "drop" and drop["sourceLabels"] == ["__name__", "le"]
    assert drop["regex"].startswith("apiserver_request_duration_seconds_bucket;(0.15|")
    assert all("metricRelabelings" not in e for e in sm["spec"]["endpoints"][1:])


def test_service_monitor_labels_configurable() -> None:
    cfg = {"cluster": {"metrics": {"enabled": True, "serviceMonitorLabels": {"release": "prom", "team": "x"}}}}
    (sm,) = by_kind(render_config(cfg), "ServiceMonitor")
    assert sm["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "demo", "release": "prom", "team": "x"}
    cfg = {"cluster": {"metrics": {"enabled": True, "serviceMonitorLabels": None}}}
    (sm,) = by_kind(render_config(cfg), "ServiceMonitor")
    assert sm["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "demo"}
    with pytest.raises(ValuesError) as err:
        render_config({"cluster": {"metrics": {"serviceMonitorLabels": {"bad key!": "x"}}}})
    assert err.value.problems == ["cluster.metrics.serviceMonitorLabels: 'bad key!' is not a valid label key"]


def test_every_problem_the_legacy_generation_cannot_express_at_once() -> None:
    bare = {"bridge": "vmbr1"}  # no own address pool: v1alpha1 needs one per additional device
    cfg = {
        "nodePools": [
            {"name": "a", "replicas": 1, "templateSelector": {"matchTags": ["u"], "matchPolicy": "bestSubset"}},
            {"name": "b", "replicas": 1, "network": {"bridge": "vmbr0", "additionalDevices": [bare, bare]}},
        ]
    }
    with pytest.raises(ValuesError) as err:
        render_config(cfg, generation="legacy")
    assert err.value.problems == [
        "nodePools[0].templateSelector.matchPolicy: 'bestSubset' needs CAPMOX v1alpha2; v1alpha1 matches tags exactly",
        "nodePools[1].network.additionalDevices[0].ipv4: required with CAPMOX v1alpha1 (each additional device "
        "needs its own address pool there)",
        "nodePools[1].network.additionalDevices[1].ipv4: required with CAPMOX v1alpha1 (each additional device "
        "needs its own address pool there)",
    ]
