"""What a deployment needs from Proxmox, as plain frozen data for the preflight checks.

The checks do not read the values model directly: an adapter (owned by the values code) builds
these objects, so the checks stay testable on their own and survive changes to the values layout.
All sizes are the *maximum* a pool can reach (autoscaler max, plus rolling-update surge).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "IPRange",
    "MatchPolicy",
    "NetworkNeeds",
    "PoolNeeds",
    "ProxmoxRequirements",
    "usable_addresses",
]

MatchPolicy = Literal["exact", "uniqueSubset", "bestSubset"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class NetworkNeeds:
    """One VM network device: the bridge it attaches to and its optional VLAN tag."""

    bridge: str
    vlan: int | None = None

    def sdn_path(self, zone: str = "localnetwork") -> str:
        """ACL path PVE checks ``SDN.Use`` on when a guest NIC is attached to this bridge
        (pve-guest-common ``check_vnet_access``): the vnet's zone, ``localnetwork`` for bridges."""
        base = f"/sdn/zones/{zone}/{self.bridge}"
        return f"{base}/{self.vlan}" if self.vlan is not None else base


@dataclass(frozen=True)
class PoolNeeds:
    """One worker pool (a MachineDeployment + ProxmoxMachineTemplate) at its maximum size."""

    name: str
    max_machines: int
    memory_mib: int
    cores: int  # vCPUs per VM: sockets x cores
    disk_gb: int
    max_surge: int = 1
    boot_disk: str | None = None  # disks.bootVolume.disk (scsi0 ...): the disk CAPMOX resizes
    template_id: int | None = None
    source_node: str | None = None
    template_tags: tuple[str, ...] = ()
    match_policy: MatchPolicy = "exact"
    allowed_nodes: tuple[str, ...] = ()  # empty: ProxmoxRequirements.allowed_nodes
    storage: str | None = None  # full-clone target; None = the template's own storage
    networks: tuple[NetworkNeeds, ...] = ()
    resource_pool: str | None = None  # ProxmoxMachine spec.pool
    skip_guest_agent: bool = False
    skip_cloud_init_status: bool = False
    vm_id_range: tuple[int, int] | None = None  # vmIDRange (start, end), inclusive

    @property
    def max_vms(self) -> int:
        """VMs that can exist at once: the maximum plus the rolling-update surge."""
        return self.max_machines + self.max_surge


@dataclass(frozen=True)
class IPRange:
    """One entry of an IPAM pool's address list: ``a-b``, ``a.b.c.d/nn`` or a single address."""

    first: IPAddress
    last: IPAddress
    is_cidr: bool = False

    @classmethod
    def parse(cls, text: str) -> IPRange:
        raw = text.strip()
        try:
            if "/" in raw:
                net = ipaddress.ip_network(raw, strict=False)
                return cls(net.network_address, net.broadcast_address, is_cidr=True)
            if "-" in raw:
                a, b = (s.strip() for s in raw.split("-", 1))
                first, last = ipaddress.ip_address(a), ipaddress.ip_address(b)
            else:
                first = last = ipaddress.ip_address(raw)
        except ValueError as err:
            raise ValueError(f"invalid IP range {raw!r}: {err}") from None
        if first.version != last.version or int(last) < int(first):
            raise ValueError(f"invalid IP range {raw!r}: the end comes before the start")
        return cls(first, last)

    def __str__(self) -> str:
        if self.is_cidr:
            size = int(self.last) - int(self.first) + 1
            bits = (32 if self.first.version == 4 else 128) - (size.bit_length() - 1)
            return f"{self.first}/{bits}"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


def usable_addresses(ranges: tuple[IPRange, ...], gateway: str | None = None) -> int:
    """Distinct allocatable addresses, as the in-cluster IPAM provider counts them.

    Overlapping entries count once; for CIDR entries the network and broadcast addresses are
    reserved (IPv4 prefixes up to /30); the gateway is never handed out.
    """
    spans: list[tuple[int, int, int]] = []
    reserved: set[tuple[int, int]] = set()
    for r in ranges:
        lo, hi = int(r.first), int(r.last)
        spans.append((r.first.version, lo, hi))
        if r.is_cidr and r.first.version == 4 and hi - lo >= 3:
            reserved.update({(4, lo), (4, hi)})
    if gateway:
        gw = ipaddress.ip_address(gateway)
        reserved.add((gw.version, int(gw)))
    total = 0
    merged: list[tuple[int, int, int]] = []
    for version, lo, hi in sorted(spans):
        if merged and merged[-1][0] == version and lo <= merged[-1][2] + 1:
            merged[-1] = (version, merged[-1][1], max(merged[-1][2], hi))
        else:
            merged.append((version, lo, hi))
    for version, lo, hi in merged:
        total += hi - lo + 1
        total -= sum(1 for v, a in reserved if v == version and lo <= a <= hi)
    return max(total, 0)


@dataclass(frozen=True)
class ProxmoxRequirements:
    """Everything the checks compare against the Proxmox cluster."""

    allowed_nodes: tuple[str, ...]
    pools: tuple[PoolNeeds, ...]
    ip_ranges: tuple[IPRange, ...] = ()
    gateway: str | None = None
    memory_adjustment: int = 100  # ProxmoxCluster.spec.schedulerHints.memoryAdjustment (%)

    def nodes_for(self, pool: PoolNeeds) -> tuple[str, ...]:
        """The nodes CAPMOX may place this pool's VMs on (machine list beats cluster list)."""
        return pool.allowed_nodes or self.allowed_nodes
