"""Values -> ProxmoxRequirements: every size at its maximum, the right node range, every bridge."""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.preflight.requirements_from_values import requirements_for
from capi_kamaji_proxmox.proxmox.requirements import IPRange, NetworkNeeds, PoolNeeds
from tests.preflight.conftest import BASE_CONFIG, config, loaded


def pool(**changes: Any) -> dict[str, Any]:
    return {**BASE_CONFIG["nodePools"][0], **changes}


def test_base_config_maps_field_by_field() -> None:
    req = requirements_for(loaded().values)
    assert req.allowed_nodes == ("pve1", "pve2")
    assert req.ip_ranges == (IPRange.parse("10.0.0.10-10.0.0.30"),)
    assert req.gateway == "10.0.0.1"
    assert req.pools == (
        PoolNeeds(
            name="workers",
            max_machines=5,
            memory_mib=8192,
            cores=4,
            disk_gb=40,
            max_surge=1,
            boot_disk="scsi0",
            template_tags=("k8s", "ubuntu"),
            match_policy="exact",
            allowed_nodes=("pve1", "pve2"),
            storage="ceph",
            networks=(NetworkNeeds("vmbr0"),),
            resource_pool="capi",
        ),
    )


def test_autoscaling_maximum_surge_and_cores() -> None:
    p = pool(
        replicas=None,
        autoscaling={"enabled": True, "minSize": 2, "maxSize": 9},
        rollout={"maxSurge": "25%"},
        numSockets=2,
        numCores=6,
    )
    need = requirements_for(loaded(config(nodePools=[p])).values).pools[0]
    assert (need.max_machines, need.max_surge, need.max_vms, need.cores) == (9, 3, 12, 12)
    fixed = requirements_for(loaded(config(nodePools=[pool(rollout={"maxSurge": 0, "maxUnavailable": 1})])).values)
    assert (fixed.pools[0].max_machines, fixed.pools[0].max_surge) == (5, 0)


def test_template_id_wins_and_checks_are_carried() -> None:
    p = pool(templateId=9000, sourceNode="pve1", pool="", checks={"skipQemuGuestAgent": True})
    need = requirements_for(loaded(config(nodePools=[p])).values).pools[0]
    assert (need.template_id, need.source_node, need.template_tags) == (9000, "pve1", ())
    assert need.resource_pool is None
    assert need.skip_guest_agent and not need.skip_cloud_init_status


def test_match_policy_and_bridges_with_vlans() -> None:
    p = pool(
        templateSelector={"matchTags": ["k8s"], "matchPolicy": "bestSubset"},
        network={
            "bridge": "vmbr0",
            "vlan": 20,
            "additionalDevices": [
                {"bridge": "vmbr1", "ipv4": {"ranges": ["10.1.0.10-10.1.0.20"], "prefix": 24}},
                {"bridge": "vmbr0", "vlan": 20},
            ],
        },
    )
    need = requirements_for(loaded(config(nodePools=[p])).values).pools[0]
    assert need.match_policy == "bestSubset"
    assert need.networks == (NetworkNeeds("vmbr0", 20), NetworkNeeds("vmbr1"))


def test_cluster_ipv4_config_feeds_nodes_without_ipam() -> None:
    cfg = config(
        ipamProvider={"enabled": False},
        cluster={"ipv4Config": {"addresses": ["10.2.0.16/28", "10.2.0.40"], "gateway": "10.2.0.1", "prefix": 24}},
    )
    req = requirements_for(loaded(cfg).values)
    assert [str(r) for r in req.ip_ranges] == ["10.2.0.16/28", "10.2.0.40"]
    assert req.gateway == "10.2.0.1"


def test_vm_id_range_is_carried() -> None:
    need = requirements_for(loaded(config(nodePools=[pool(vmIDRange={"start": 1000, "end": 1099})])).values).pools[0]
    assert need.vm_id_range == (1000, 1099)
    assert requirements_for(loaded().values).pools[0].vm_id_range is None
