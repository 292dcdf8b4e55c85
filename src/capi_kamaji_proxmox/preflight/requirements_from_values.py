"""Translate validated values into what the Proxmox checks compare against.

The Proxmox checks take plain ``ProxmoxRequirements`` so they do not depend on the values layout;
this adapter is the one place that knows how values keys map to machines, sizes and addresses.
Every size is the largest a pool can reach: the autoscaler maximum when autoscaling is on.
"""

from __future__ import annotations

import math

from capi_kamaji_proxmox.proxmox.requirements import (
    IPRange,
    MatchPolicy,
    NetworkNeeds,
    PoolNeeds,
    ProxmoxRequirements,
)
from capi_kamaji_proxmox.values.checks import node_range_source
from capi_kamaji_proxmox.values.model import NodePool, Values

__all__ = ["requirements_for"]

DEFAULT_SURGE = 1  # CAPI's MachineDeployment default maxSurge


def _max_machines(pool: NodePool) -> int:
    auto = pool.autoscaling
    if auto is not None and auto.enabled and auto.max_size is not None:
        return auto.max_size
    return pool.replicas or 0


def _surge(pool: NodePool, machines: int) -> int:
    """Extra VMs during a rolling update; a percentage rounds up, as CAPI does for maxSurge."""
    value = pool.rollout.max_surge if pool.rollout else None
    if value is None:
        return DEFAULT_SURGE
    if isinstance(value, int):
        return value
    return math.ceil(machines * int(value.rstrip("%")) / 100)


def _networks(pool: NodePool) -> tuple[NetworkNeeds, ...]:
    net = pool.network
    if net is None:
        return ()
    out: list[NetworkNeeds] = []
    if net.bridge:
        out.append(NetworkNeeds(net.bridge, net.vlan))
    for dev in net.additional_devices or []:
        out.append(NetworkNeeds(dev.bridge, dev.vlan))
    return tuple(dict.fromkeys(out))


def _pool_needs(pool: NodePool) -> PoolNeeds:
    machines = _max_machines(pool)
    boot = pool.disks.boot_volume if pool.disks else None
    # templateId wins over templateSelector (the chart's rule, see values.checks).
    by_id = pool.template_id is not None
    selector = pool.template_selector if not by_id else None
    policy: MatchPolicy = (selector.match_policy or "exact") if selector else "exact"
    checks = pool.checks
    return PoolNeeds(
        name=pool.name,
        max_machines=machines,
        memory_mib=pool.memory_mib or 0,
        cores=(pool.num_sockets or 1) * (pool.num_cores or 1),
        disk_gb=(boot.size_gb if boot and boot.size_gb else 0),
        max_surge=_surge(pool, machines),
        boot_disk=(boot.disk if boot and boot.disk else None),
        template_id=pool.template_id,
        source_node=pool.source_node if by_id else None,
        template_tags=tuple(selector.match_tags) if selector else (),
        match_policy=policy,
        allowed_nodes=tuple(pool.allowed_nodes or ()),
        storage=pool.storage or None,
        networks=_networks(pool),
        resource_pool=pool.pool or None,
        skip_guest_agent=bool(checks and checks.skip_qemu_guest_agent),
        skip_cloud_init_status=bool(checks and checks.skip_cloud_init_status),
        vm_id_range=(pool.vm_id_range.start, pool.vm_id_range.end) if pool.vm_id_range else None,
    )


def _node_ranges(values: Values) -> tuple[tuple[IPRange, ...], str | None]:
    """The ranges that hand out node (net0) addresses and their gateway (README "Node addresses")."""
    texts: list[str] = []
    gateway: str | None = None
    if node_range_source(values) == "ipamProvider":
        ipam = values.ipam_provider
        texts, gateway = list((ipam.ranges if ipam else None) or []), (ipam.gateway if ipam else None)
    elif values.cluster is not None and values.cluster.ipv4_config is not None:
        cfg = values.cluster.ipv4_config
        texts, gateway = list(cfg.addresses or []), cfg.gateway
    ranges: list[IPRange] = []
    for text in texts:
        try:
            ranges.append(IPRange.parse(text))
        except ValueError:
            continue  # values validation reports malformed ranges; nothing to count here
    return tuple(ranges), gateway or None


def requirements_for(values: Values) -> ProxmoxRequirements:
    """Everything the Proxmox checks need, derived from validated values."""
    ranges, gateway = _node_ranges(values)
    cluster_nodes = tuple(values.cluster.allowed_nodes or ()) if values.cluster else ()
    return ProxmoxRequirements(
        allowed_nodes=cluster_nodes,
        pools=tuple(_pool_needs(p) for p in values.node_pools or []),
        ip_ranges=ranges,
        gateway=gateway,
    )
