"""Cross-field checks: the rules no single field can express. Each problem names its key path."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from capi_kamaji_proxmox import naming
from capi_kamaji_proxmox.values import autoscaler, fast
from capi_kamaji_proxmox.values.addon_checks import addon_problems
from capi_kamaji_proxmox.values.ipranges import IPRange, parse_range
from capi_kamaji_proxmox.values.labels import label_problems
from capi_kamaji_proxmox.values.patterns import DNS_LABEL

if TYPE_CHECKING:  # the checks read attributes only: they run on the models and on their light twins
    from capi_kamaji_proxmox.values.model import IPAMProvider, IPv4Config, NodePool, Taint, Values

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")


def duration_seconds(value: int | str) -> int:
    """Whole seconds of ``600`` or ``"10m"``/``"1h30m"`` (sub-second parts are dropped, as CAPI does)."""
    if isinstance(value, int):
        return value
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return int(sum(float(n) * scale[u] for n, u in _DURATION_PART.findall(value)))


def parse_labels(spec: str | dict[str, str] | None) -> dict[str, str]:
    """``"k=v,k2=v2"`` (the chart's kubelet form) or a map, as a map."""
    if spec is None:
        return {}
    if isinstance(spec, dict):
        return dict(spec)
    out: dict[str, str] = {}
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        key, _, value = item.partition("=")
        out[key.strip()] = value.strip()
    return out


def parse_taints(spec: str | list[Taint] | None) -> list[Taint]:
    """``"k=v:NoSchedule,k2:NoExecute"`` (the chart's kubelet form) or a list, as Taints.

    Raises ``ValueError`` naming the bad item.
    """
    if spec is None:
        return []
    if isinstance(spec, list):
        return list(spec)
    out: list[Taint] = []
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        kv, sep, effect = item.rpartition(":")
        if not sep:
            raise ValueError(f"taint {item!r} has no effect; expected key[=value]:Effect")
        key, _, value = kv.partition("=")
        data = {"key": key, "value": value or None, "effect": effect}
        taint = fast.validate("Taint", data)
        if taint is None:
            from capi_kamaji_proxmox.values.model import Taint

            try:
                taint = Taint.model_validate(data)
            except Exception:
                raise ValueError(
                    f"taint {item!r}: expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute"
                ) from None
        out.append(taint)
    return out


def cluster_name(values: Values, release_name: str) -> str:
    name = (values.cluster.name if values.cluster else None) or release_name
    return name


def node_range_source(values: Values) -> str:
    """Which values key feeds node addresses: the IPAM range when enabled, else the cluster pool."""
    ipam = values.ipam_provider
    return "ipamProvider" if ipam is not None and ipam.enabled else "cluster.ipv4Config"


# --------------------------------------------------------------------------- helpers


def _check_pool(
    section: str,
    ranges_key: str,
    ranges: list[str] | None,
    prefix: int | None,
    gateway: str | None,
    problems: list[str],
) -> list[IPRange]:
    """Ranges well formed, ascending, in one subnet; the gateway in that subnet, outside the ranges.

    ``section`` is the key holding ``prefix`` and ``gateway``; ``ranges_key`` the key of the ranges.
    """
    parsed: list[IPRange] = []
    if not ranges:
        problems.append(f"{ranges_key}: no address ranges; expected at least one range")
        return parsed
    if prefix is None:
        problems.append(f"{section}.prefix: required key is missing")
        return parsed
    for i, text in enumerate(ranges):
        try:
            parsed.append(parse_range(text))
        except ValueError as exc:
            problems.append(f"{ranges_key}[{i}]: {exc}")
    subnet = ipaddress.IPv4Network(f"{parsed[0].first}/{prefix}", strict=False) if parsed else None
    if subnet is not None:
        for r in parsed:
            if r.first not in subnet or r.last not in subnet:
                problems.append(f"{ranges_key}: range {r.text!r} is outside the subnet {subnet}")
    if gateway:
        try:
            gw = ipaddress.IPv4Address(gateway)
        except ipaddress.AddressValueError:
            problems.append(f"{section}.gateway: {gateway!r} is not an IPv4 address")
            gw = None
        if gw is not None and subnet is not None and gw not in subnet:
            problems.append(f"{section}.gateway: {gateway} is outside the subnet {subnet} of {ranges_key}")
        if gw is not None:
            for r in parsed:
                if r.contains(gw):
                    problems.append(f"{section}.gateway: {gateway} lies inside the range {r.text!r}")
    for i, a in enumerate(parsed):
        for b in parsed[i + 1 :]:
            if a.overlaps(b):
                problems.append(f"{ranges_key}: ranges {a.text!r} and {b.text!r} overlap")
    return parsed


def _ipam_ranges(ipam: IPAMProvider, problems: list[str]) -> list[IPRange]:
    return _check_pool("ipamProvider", "ipamProvider.ranges", ipam.ranges, ipam.prefix, ipam.gateway, problems)


def _cluster_ranges(cfg: IPv4Config, problems: list[str]) -> list[IPRange]:
    return _check_pool(
        "cluster.ipv4Config", "cluster.ipv4Config.addresses", cfg.addresses, cfg.prefix, cfg.gateway, problems
    )


def _template_source(i: int, pool: NodePool, problems: list[str], warnings: list[str]) -> None:
    key = f"nodePools[{i}]"
    if pool.template_id is not None and pool.template_selector is not None:
        warnings.append(
            f"{key}: both templateId and templateSelector are set; templateId wins (as with the "
            "chart) and templateSelector is ignored — remove one to silence this warning"
        )
    if pool.template_id is None and pool.template_selector is not None and pool.source_node is not None:
        warnings.append(
            f"{key}.sourceNode: not rendered with templateSelector (CAPMOX clones the template the tags "
            "select, and rejects sourceNode next to a selector) — remove sourceNode to silence this warning"
        )
    if pool.template_id is None and pool.template_selector is None:
        problems.append(f"{key}: no VM template; set templateId with sourceNode, or templateSelector")
    if pool.template_id is not None and pool.source_node is None:
        problems.append(f"{key}.sourceNode: required with templateId (the node that holds the template)")


def _pool_checks(i: int, pool: NodePool, problems: list[str], warnings: list[str]) -> None:
    key = f"nodePools[{i}]"
    _template_source(i, pool, problems, warnings)
    if pool.memory_mib is not None and (pool.memory_mib <= 0 or pool.memory_mib % 8):
        problems.append(f"{key}.memoryMiB: expected a positive multiple of 8, got {pool.memory_mib}")
    auto = pool.autoscaling
    if auto is not None and auto.enabled:
        lo, hi = auto.min_size, auto.max_size
        if lo is None or hi is None:
            problems.append(f"{key}.autoscaling: minSize and maxSize are required when enabled")
        elif lo > hi:
            problems.append(f"{key}.autoscaling: minSize {lo} is greater than maxSize {hi}")
        elif pool.replicas is not None and not lo <= pool.replicas <= hi:
            problems.append(f"{key}.replicas: {pool.replicas} is outside the autoscaling range [{lo}, {hi}]")
        elif pool.replicas is not None and pool.replicas != lo:
            # Not rendered: a rendered count would reset the autoscaler's on every upgrade.
            warnings.append(
                f"{key}.replicas: {pool.replicas} is not rendered on an autoscaled pool; Cluster API starts "
                f"the pool at minSize ({lo}) and the autoscaler owns the count — set autoscaling.minSize "
                "to change the starting size, or remove replicas to silence this warning"
            )
    elif pool.replicas is None:
        problems.append(f"{key}.replicas: required when autoscaling is off")
    boot = pool.disks.boot_volume if pool.disks else None
    if boot is None or boot.disk is None or boot.size_gb is None:
        problems.append(f"{key}.disks.bootVolume: disk and sizeGb are required")
    net = pool.network
    if net is None or not net.bridge:
        problems.append(f"{key}.network.bridge: required key is missing")
    if pool.storage is not None or pool.format is not None:
        pass  # the template is always a full clone, so both are allowed
    rollout = pool.rollout
    if rollout is not None and rollout.max_surge in (0, "0%") and rollout.max_unavailable in (0, "0%"):
        problems.append(f"{key}.rollout: maxSurge and maxUnavailable cannot both be 0")
    mhc = pool.machine_health_check
    if mhc is not None and mhc.node_startup_timeout is not None:
        secs = duration_seconds(mhc.node_startup_timeout)
        if 0 < secs < 30:
            problems.append(
                f"{key}.machineHealthCheck.nodeStartupTimeout: expected 0 (off) or at least 30s, "
                f"got {mhc.node_startup_timeout!r}"
            )
    if pool.vm_id_range is not None and pool.vm_id_range.end < pool.vm_id_range.start:
        problems.append(f"{key}.vmIDRange: end {pool.vm_id_range.end} is before start {pool.vm_id_range.start}")
    problems.extend(label_problems(f"{key}.labels", parse_labels(pool.labels)))
    try:
        parse_taints(pool.taints)
    except ValueError as exc:
        problems.append(f"{key}.taints: {exc}")
    devices = (net.additional_devices if net else None) or []
    for d, dev in enumerate(devices):
        expected = f"net{d + 1}"
        if dev.name is not None and dev.name != expected:
            problems.append(
                f"{key}.network.additionalDevices[{d}].name: expected {expected!r} (devices are "
                f"numbered net1, net2, ... in order), got {dev.name!r}"
            )
    for field, mtu in [("network.mtu", net.mtu if net else None)] + [
        (f"network.additionalDevices[{d}].mtu", dev.mtu) for d, dev in enumerate(devices)
    ]:
        if mtu is not None and mtu != 1 and not 1280 <= mtu <= 65520:
            problems.append(f"{key}.{field}: expected 1 (inherit from the bridge) or 1280..65520, got {mtu}")


def _opted_out(pool: NodePool) -> bool:
    net = pool.network
    return bool(net and net.addresses_from_pools and net.addresses_from_pools.enabled is False)


def _address_pools(values: Values, problems: list[str]) -> list[tuple[str, list[IPRange]]]:
    """Every pool that hands out node addresses, as (values key, ranges)."""
    out: list[tuple[str, list[IPRange]]] = []
    cluster = values.cluster or fast.make("ClusterValues")
    if node_range_source(values) == "ipamProvider":
        assert values.ipam_provider is not None
        out.append(("ipamProvider.ranges", _ipam_ranges(values.ipam_provider, problems)))
        if cluster.ipv4_config is not None:
            # Still rendered on the ProxmoxCluster (the provider requires an IP config); it hands out
            # node addresses too when a pool opts out of the IPAM range.
            ranges = _cluster_ranges(cluster.ipv4_config, problems)
            if any(_opted_out(p) for p in values.node_pools or []):
                out.append(("cluster.ipv4Config.addresses", ranges))
    elif cluster.ipv4_config is None:
        problems.append("cluster.ipv4Config: required when ipamProvider is disabled (nodes need addresses)")
    else:
        out.append(("cluster.ipv4Config.addresses", _cluster_ranges(cluster.ipv4_config, problems)))
    for i, pool in enumerate(values.node_pools or []):
        devices = (pool.network.additional_devices if pool.network else None) or []
        for d, dev in enumerate(devices):
            if dev.ipv4 is None:
                continue
            key = f"nodePools[{i}].network.additionalDevices[{d}].ipv4"
            out.append(
                (
                    key + ".ranges",
                    _check_pool(key, key + ".ranges", dev.ipv4.ranges, dev.ipv4.prefix, dev.ipv4.gateway, problems),
                )
            )
    return out


def _overlaps(pools: list[tuple[str, list[IPRange]]], problems: list[str]) -> None:
    for i, (key_a, ranges_a) in enumerate(pools):
        for key_b, ranges_b in pools[i + 1 :]:
            for a in ranges_a:
                for b in ranges_b:
                    if a.overlaps(b):
                        problems.append(
                            f"{key_a}: range {a.text!r} overlaps {key_b} range {b.text!r}; "
                            "an address could be handed out twice"
                        )


def cross_field(values: Values, user: dict[str, Any], release_name: str, warnings: list[str]) -> list[str]:
    """All cross-field problems of validated values (empty when the values are fine)."""
    problems: list[str] = []
    cluster = values.cluster or fast.make("ClusterValues")
    name = cluster_name(values, release_name)
    if not re.match(DNS_LABEL, name):
        src = "cluster.name" if cluster.name else "release name"
        problems.append(
            f"{src}: {name!r} is not a valid cluster name; expected a DNS-1123 label (lowercase "
            "letters, digits and '-', starting and ending with a letter or digit)"
        )
    if cluster.version is None:
        problems.append("cluster.version: required key is missing (Kubernetes version, e.g. v1.31.4)")
    if not cluster.dns_servers:
        problems.append("cluster.dnsServers: expected at least one name server")
    pools = values.node_pools or []
    seen: dict[str, int] = {}
    for i, pool in enumerate(pools):
        if pool.name in seen:
            problems.append(f"nodePools[{i}].name: {pool.name!r} is already the name of nodePools[{seen[pool.name]}]")
        seen.setdefault(pool.name, i)
        _pool_checks(i, pool, problems, warnings)
    strategy = values.upgrade_strategy
    if strategy is not None and isinstance(strategy.pools, list):
        for j, pool_name in enumerate(strategy.pools):
            if pool_name not in seen:
                problems.append(
                    f"upgradeStrategy.pools[{j}]: {pool_name!r} is not the name of a pool in nodePools "
                    f"({', '.join(seen) or 'none'})"
                )
    cp = cluster.control_plane
    net = cp.network if cp else None
    if net is not None and net.load_balancer_config is not None and net.service_type not in (None, "LoadBalancer"):
        problems.append(
            "cluster.controlPlane.network.loadBalancerConfig: only allowed with serviceType "
            f"LoadBalancer, got serviceType {net.service_type!r}"
        )
    _overlaps(_address_pools(values, problems), problems)
    problems.extend(addon_problems(values, warnings))
    problems.extend(autoscaler.problems(values))
    metrics = bool(cluster.metrics and cluster.metrics.enabled)
    if cluster.metrics is not None:
        problems.extend(label_problems("cluster.metrics.serviceMonitorLabels", cluster.metrics.service_monitor_labels))
    if re.match(DNS_LABEL, name):
        devices = [
            (
                p.name,
                [
                    f"net{d + 1}"
                    for d, dev in enumerate((p.network.additional_devices if p.network else None) or [])
                    if dev.ipv4
                ],
            )
            for p in pools
        ]
        ipam = node_range_source(values) == "ipamProvider"
        mhc = {p.name for p in pools if p.machine_health_check and p.machine_health_check.enabled}
        names = naming.generated_names(
            name, devices, metrics, ipam=ipam, mhc=mhc, autoscaler=autoscaler.enabled(values)
        )
        for what, generated, limit in names:
            if len(generated) > limit:
                problems.append(
                    f"{what}: {generated!r} is {len(generated)} characters, {len(generated) - limit} "
                    f"over the limit of {limit}; shorten cluster.name (or the release name) or the pool name"
                )
    return problems
