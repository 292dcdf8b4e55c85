"""ProxmoxMachineTemplate of one pool; its name carries a hash of its generation-neutral content.

The content is built once in a neutral form (what the VM is), hashed, and only then shaped into
CAPMOX v1alpha1 or v1alpha2. So switching the API generation never renames a template, while any
change to what a VM would be does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.render.apis import IPAM
from capi_kamaji_proxmox.render.context import NODE_ZONE, RenderContext, prune_object
from capi_kamaji_proxmox.values import fast
from capi_kamaji_proxmox.values.errors import ValuesError

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.model import NodePool


def _pool_ref(name: str) -> dict[str, Any]:
    return {"apiGroup": IPAM, "kind": "InClusterIPPool", "name": name}


def _devices(ctx: RenderContext, pool: NodePool) -> list[dict[str, Any]]:
    net = pool.network or fast.make("PoolNetwork")
    net0: dict[str, Any] = {
        "name": "net0",
        "bridge": net.bridge,
        "model": net.model,
        "dnsServers": net.dns_servers,
        "vlan": net.vlan,
        "mtu": net.mtu,
        # Where the first NIC's single address comes from; the shape of that differs per generation.
        "addresses": "ipam" if ctx.pool_uses_ipam(pool) else "cluster",
        "zone": NODE_ZONE if ctx.pool_uses_ipam(pool) and ctx.mixed_addressing else None,
    }
    out = [net0]
    for d, dev in enumerate(net.additional_devices or []):
        name = f"net{d + 1}"
        out.append(
            {
                "name": name,
                "bridge": dev.bridge,
                "model": dev.model or "virtio",
                "dnsServers": dev.dns_servers,
                "vlan": dev.vlan,
                "mtu": dev.mtu,
                "ipPool": naming.device_ip_pool(ctx.cluster, pool.name, name) if dev.ipv4 else None,
            }
        )
    return out


def content(ctx: RenderContext, pool: NodePool) -> dict[str, Any]:
    """Generation-neutral content of the template: the hash input."""
    boot = pool.disks.boot_volume if pool.disks else None
    spec: dict[str, Any] = {
        "allowedNodes": pool.allowed_nodes,
        "disks": {"bootVolume": {"disk": boot.disk, "sizeGb": boot.size_gb}} if boot else None,
        "storage": pool.storage or None,
        "format": pool.format,
        "full": True,
        "memoryMiB": pool.memory_mib,
        "numCores": pool.num_cores,
        "numSockets": pool.num_sockets,
        "pool": pool.pool or None,
        "tags": sorted(pool.tags) if pool.tags else None,
        "vmIDRange": pool.vm_id_range.model_dump() if pool.vm_id_range else None,
        "checks": pool.checks.model_dump(by_alias=True, exclude_none=True) if pool.checks else None,
        "devices": _devices(ctx, pool),
    }
    # templateId wins over templateSelector (the chart's behaviour); never both, never
    # sourceNode with a selector: the ProxmoxMachine CRD rejects either combination.
    if pool.template_id is not None:
        spec["templateID"] = pool.template_id
        spec["sourceNode"] = pool.source_node
    elif pool.template_selector is not None:
        sel = pool.template_selector
        spec["templateSelector"] = {"matchTags": sorted(sel.match_tags), "matchPolicy": sel.match_policy}
    return prune_object(spec)


def _network_v1alpha2(ctx: RenderContext, devices: list[dict[str, Any]]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    zone = None
    for dev in devices:
        item = {k: dev.get(k) for k in ("name", "bridge", "model", "dnsServers", "vlan", "mtu")}
        if dev.get("ipPool"):
            item["ipPoolRef"] = [_pool_ref(dev["ipPool"])]
        zone = zone or dev.get("zone")
        out.append(item)
    return {"networkDevices": out, "zone": zone}


def _network_v1alpha1(ctx: RenderContext, devices: list[dict[str, Any]], pool_index: int) -> dict[str, Any]:
    first, rest = devices[0], devices[1:]
    default = {k: first.get(k) for k in ("bridge", "model", "dnsServers", "vlan", "mtu")}
    if first.get("addresses") == "ipam":
        # v1alpha1: this reference replaces the ProxmoxCluster pool for net0.
        default["ipv4PoolRef"] = _pool_ref(naming.ip_pool(ctx.cluster))
    extra = []
    # The v1alpha1 schema requires a pool reference on every additional device.
    missing = [
        f"nodePools[{pool_index}].network.additionalDevices[{int(dev['name'][3:]) - 1}].ipv4: "
        "required with CAPMOX v1alpha1 (each additional device needs its own address pool there)"
        for dev in rest
        if not dev.get("ipPool")
    ]
    if missing:
        raise ValuesError(missing)
    for dev in rest:
        item = {k: dev.get(k) for k in ("name", "bridge", "model", "dnsServers", "vlan", "mtu")}
        if dev.get("ipPool"):
            item["ipv4PoolRef"] = _pool_ref(dev["ipPool"])
        extra.append(item)
    return {"default": default, "additionalDevices": extra}


def render(ctx: RenderContext, pool: NodePool) -> dict[str, Any]:
    neutral = content(ctx, pool)
    name = naming.machine_template(ctx.cluster, pool.name, naming.content_hash(neutral))
    spec = {k: v for k, v in neutral.items() if k != "devices"}
    devices = neutral["devices"]
    if ctx.apis.is_current("ProxmoxMachineTemplate"):
        spec["network"] = _network_v1alpha2(ctx, devices)
    else:
        problems: list[str] = []
        selector = spec.get("templateSelector")
        if selector and selector.get("matchPolicy") not in (None, "exact"):
            problems.append(
                f"nodePools[{ctx.pools.index(pool)}].templateSelector.matchPolicy: "
                f"{selector['matchPolicy']!r} needs CAPMOX v1alpha2; v1alpha1 matches tags exactly"
            )
        if selector:
            selector.pop("matchPolicy", None)
        try:
            spec["network"] = _network_v1alpha1(ctx, devices, ctx.pools.index(pool))
        except ValuesError as exc:
            problems += exc.problems
        if problems:
            raise ValuesError(problems)
    return prune_object(
        {
            "apiVersion": ctx.apis.api_version("ProxmoxMachineTemplate"),
            "kind": "ProxmoxMachineTemplate",
            "metadata": ctx.metadata(name),
            "spec": {"template": {"spec": spec}},
        }
    )
