"""Preflight checks: will CAPMOX be able to build every pool on this Proxmox cluster?

Each check calls the PVE API the way CAPMOX later will (same endpoints, same token), so a
missing privilege, an offline node, an ambiguous template selector or an exhausted IP range is
reported before any cluster object is created. See shared/docs/proxmox-api.md §4 and §6.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from .client import (
    ProxmoxAPIError,
    ProxmoxClient,
    ProxmoxError,
    ProxmoxNotFoundError,
    ProxmoxPermissionError,
)
from .guest_config import Drive, Nic, agent_enabled, capmox_template_matches, drives, nics, tags_of, truthy
from .requirements import PoolNeeds, ProxmoxRequirements, usable_addresses

__all__ = ["CheckResult", "Status", "format_results", "run_proxmox_checks"]

Status = Literal["pass", "warn", "fail"]
GIB = 1024**3
MIB = 1024**2

# Privileges CAPMOX uses on the VMs it creates (clone target, then configure, resize, start).
_VM_PRIVS = (
    "VM.Allocate",
    "VM.Audit",
    "VM.Config.CDROM",
    "VM.Config.CPU",
    "VM.Config.Disk",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.Options",
    "VM.PowerMgmt",
)
# Stores that reserve a disk's full size at creation (no thin provisioning): a disk that does
# not fit fails the clone at once. (zfspool is thick too unless ``sparse`` is set, which the API
# does not show; it is treated as thin to avoid false failures.)
_THICK = {"lvm", "iscsidirect"}


@dataclass(frozen=True)
class CheckResult:
    """One checked fact: status, what was found, and what to do about it (empty on pass)."""

    name: str
    status: Status
    found: str
    fix: str = ""

    def line(self) -> str:
        """The one-line form the CLI prints."""
        text = f"{self.status.upper():<4}  {self.name}: {self.found}"
        return f"{text} -> {self.fix}" if self.fix else text


def format_results(results: list[CheckResult]) -> str:
    """All results, one line each."""
    return "\n".join(r.line() for r in results)


def _gib(n: float) -> str:
    v = n / GIB
    return f"{v:.0f} GiB" if abs(v - round(v)) < 0.05 else f"{v:.1f} GiB"


_truthy = truthy


class _Probe:
    """Caches API answers for one run so every check sees the same snapshot."""

    def __init__(self, client: ProxmoxClient) -> None:
        self.client = client
        self._cache: dict[tuple[str, ...], Any] = {}

    def _get(self, key: tuple[str, ...], fetch: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = fetch()
            except ProxmoxError as err:
                self._cache[key] = err
        value = self._cache[key]
        if isinstance(value, ProxmoxError):
            raise value
        return value

    def nodes(self) -> dict[str, dict[str, Any]]:
        return {str(n["node"]): n for n in self._get(("nodes",), self.client.nodes)}

    def vm_resources(self) -> list[dict[str, Any]]:
        return list(self._get(("vms",), lambda: self.client.cluster_resources("vm")))

    def vm_config(self, node: str, vmid: int) -> dict[str, Any]:
        return dict(self._get(("cfg", node, str(vmid)), lambda: self.client.vm_config(node, vmid)))

    def storages(self, node: str) -> dict[str, dict[str, Any]]:
        return {str(s["storage"]): s for s in self._get(("sto", node), lambda: self.client.node_storage(node))}

    def bridges(self, node: str) -> dict[str, dict[str, Any]]:
        return {
            str(i["iface"]): i
            for i in self._get(("net", node), lambda: self.client.node_network(node, type="any_bridge"))
        }

    def perms(self, path: str) -> dict[str, int]:
        data = self._get(("perm", path), lambda: self.client.permissions(path))
        return dict(data.get(path, {}))

    def online(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Nodes that are not known to be offline ("unknown" is a status not refreshed yet)."""
        try:
            nodes = self.nodes()
        except ProxmoxError:
            return names
        return tuple(n for n in names if n in nodes and nodes[n].get("status") != "offline")

    def vnet_zones(self) -> dict[str, str]:
        """vnet -> zone, for the vnets the token may audit (empty without SDN or rights)."""
        try:
            return {str(v["vnet"]): str(v["zone"]) for v in self._get(("vnets",), self.client.sdn_vnets)}
        except ProxmoxError:
            return {}

    def zone_of(self, bridge: str, nodes: tuple[str, ...]) -> str | None:
        """The SDN zone PVE checks SDN.Use in for a bridge: ``localnetwork`` for a plain bridge,
        the vnet's zone for an SDN vnet, None when it is a vnet whose zone the token cannot read."""
        for node in nodes:
            entry = _safe(partial(self.bridges, node), {}).get(bridge)
            if entry is not None and entry.get("type") == "vnet":
                return self.vnet_zones().get(bridge) or self._zone_from_acls(bridge)
        zones = self.vnet_zones()
        return zones.get(bridge, "localnetwork")

    def _zone_from_acls(self, vnet: str) -> str | None:
        """A vnet listed (SDN.Use) but not auditable: its zone from the token's own ACL paths."""
        data = _safe(lambda: self._get(("perm-all",), self.client.permissions), {})
        for path in data:
            parts = str(path).split("/")
            if len(parts) >= 5 and parts[1:3] == ["sdn", "zones"] and parts[4] == vnet:
                return parts[3]
        return None


@dataclass
class _Template:
    """The template a pool clones from, once resolved."""

    vmid: int
    node: str
    name: str
    config: dict[str, Any] | None = None
    drives: list[Drive] = field(default_factory=list)
    nics: list[Nic] = field(default_factory=list)

    @property
    def disk_storages(self) -> list[str]:
        """Storages of the disks (not CD-ROMs) in bus order: what a clone allocates space on."""
        return list(dict.fromkeys(d.storage for d in self.drives if d.storage and not d.cdrom))

    def boot_storage(self, disk: str | None) -> str | None:
        """The storage of the pool's boot disk (scsi0 ...), else of the first disk in bus order."""
        named = next((d.storage for d in self.drives if d.key == disk and d.storage and not d.cdrom), None)
        return named or next(iter(self.disk_storages), None)

    def read(self, config: dict[str, Any]) -> None:
        self.config = config
        self.drives = drives(config)
        self.nics = nics(config)


def _describe(t: _Template) -> str:
    return f'template {t.vmid} "{t.name}" on {t.node}'


# -- template ---------------------------------------------------------------------------------


_tags = tags_of


def _select_by_tags(
    resources: list[dict[str, Any]], pool: PoolNeeds
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """CAPMOX's selector: (what it counts as matches, all tagged templates), in API order."""
    tagged = [r for r in resources if _truthy(r.get("template", 0)) and r.get("tags")]
    return capmox_template_matches(resources, pool.template_tags, pool.match_policy), tagged


def _resolve_template(probe: _Probe, req: ProxmoxRequirements, pool: PoolNeeds) -> tuple[_Template | None, CheckResult]:
    name = f"template[{pool.name}]"
    fix_tags = (
        f"tag exactly one template with {';'.join(pool.template_tags)} "
        "(qm set <vmid> --tags ...) or adjust templateSelector.matchTags/matchPolicy"
    )
    if pool.template_id is None and not pool.template_tags:
        return None, CheckResult(
            name,
            "fail",
            "neither templateID nor template tags are set",
            "set templateID + sourceNode, or templateSelector.matchTags",
        )
    if pool.template_id is not None:
        vmid = pool.template_id
        located = next((r for r in _safe(probe.vm_resources, []) if int(r["vmid"]) == vmid), None)
        node = pool.source_node or (str(located["node"]) if located else None)
        if node is None:
            return None, CheckResult(
                name,
                "fail",
                f"VM {vmid} is not visible in the cluster",
                f"create template {vmid}, or grant the token VM.Audit on /vms/{vmid} "
                "(e.g. PVETemplateUser on the templates pool)",
            )
        try:
            config = probe.vm_config(node, vmid)
        except ProxmoxPermissionError:
            return None, CheckResult(
                name,
                "fail",
                f"cannot read VM {vmid} on {node}: the token lacks VM.Audit on /vms/{vmid}",
                f"grant PVETemplateUser on /vms/{vmid} or on its pool",
            )
        except ProxmoxNotFoundError:
            real = str(located["node"]) if located is not None else None
            where = f"; it is on {real}" if real is not None and real != node else ""
            fix = f"set sourceNode to {real}" if where else "set templateID to an existing template"
            return None, CheckResult(name, "fail", f"VM {vmid} does not exist on node {node}{where}", fix)
        t = _Template(vmid, node, str(config.get("name") or f"VM {vmid}"))
        t.read(config)
        if not _truthy(config.get("template", 0)):
            return None, CheckResult(
                name,
                "fail",
                f'VM {vmid} "{t.name}" on {node} is not a template',
                f"convert it with 'qm template {vmid}' or point templateID at a template",
            )
        how = f"templateID {vmid}"
    else:
        matches, tagged = _select_by_tags(probe.vm_resources(), pool)
        want = ";".join(sorted({t.lower() for t in pool.template_tags}))
        if len(matches) != 1:
            if matches:
                seen = ", ".join(f"{m['vmid']} on {m['node']}" for m in matches)
                found = f'{len(matches)} templates match tags "{want}" (matchPolicy {pool.match_policy}): {seen}'
                if pool.match_policy == "bestSubset":
                    found += (
                        " (CAPMOX walks the templates in VM id order as text and counts every one no worse than the "
                        "best so far)"
                    )
            else:
                seen = (
                    ", ".join(
                        f'{r["vmid"]} "{";".join(sorted(_tags(r)))}"'
                        for r in sorted(tagged, key=lambda r: int(r["vmid"]))
                    )
                    or "none"
                )
                found = (
                    f'no template matches tags "{want}" (matchPolicy '
                    f"{pool.match_policy}); tagged templates visible: {seen}"
                )
            return None, CheckResult(name, "fail", found, fix_tags)
        m = matches[0]
        vmid, node = int(m["vmid"]), str(m["node"])
        t = _Template(vmid, node, str(m.get("name") or f"VM {vmid}"))
        try:
            t.read(probe.vm_config(node, vmid))
        except ProxmoxError:
            t.config = None
        how = f'tags "{want}", matchPolicy {pool.match_policy}'
    problems: list[str] = []
    fixes: list[str] = []
    nodes = _safe(probe.nodes, {})
    if nodes and nodes.get(t.node, {}).get("status") == "offline":
        problems.append(f"its node {t.node} is offline")
        fixes.append(f"bring {t.node} online")
    others = [n for n in req.nodes_for(pool) if n != t.node]
    if others:
        problems_, fixes_ = _clone_to_other_nodes(probe, pool, t, others)
        problems += problems_
        fixes += fixes_
    if problems:
        return t, CheckResult(name, "fail", f"{_describe(t)} ({how}): " + "; ".join(problems), "; ".join(fixes))
    return t, CheckResult(name, "pass", f"{_describe(t)} ({how})")


def _clone_to_other_nodes(
    probe: _Probe, pool: PoolNeeds, t: _Template, others: list[str]
) -> tuple[list[str], list[str]]:
    """qemu-server ``clone_vm`` with a ``target`` node: the target storage must be shared and
    every drive of the template (CD-ROMs and cloud-init drives too) on shared storage."""
    problems: list[str] = []
    fixes: list[str] = []
    stores: dict[str, Any] = _safe(lambda: probe.storages(t.node), {})
    to = ", ".join(others)
    if pool.storage:
        entry = stores.get(pool.storage)
        if entry is None:
            problems.append(
                f"storage {pool.storage} is invisible to the token on {t.node}, so it cannot be shown to be "
                f"shared (PVE refuses clones to {to} on non-shared storage)"
            )
            fixes.append(f"grant Datastore.AllocateSpace on /storage/{pool.storage}")
        elif not _truthy(entry.get("shared", 0)):
            problems.append(
                f'storage {pool.storage} is not shared: PVE refuses "can\'t clone to non-shared storage" for '
                f"clones to {to}"
            )
            fixes.append(f"set a shared storage for the pool or limit allowedNodes to {t.node}")
    if t.config is None:
        return problems, fixes
    local: list[str] = []
    unseen: list[str] = []
    for d in t.drives:
        if d.storage is None:
            continue
        entry = stores.get(d.storage)
        if entry is None:
            unseen.append(f"{d.key} on {d.storage}")
        elif not _truthy(entry.get("shared", 0)):
            local.append(f"{d.key} on {d.storage}")
    if local:
        problems.append(
            f'drives {", ".join(local)} are on local storage: PVE refuses "can\'t clone VM to node" '
            f"(VM uses local storage) for {to}"
        )
        fixes.append(
            f"move those drives (CD-ROM and cloud-init drives count) to shared storage or remove them, or limit "
            f"allowedNodes to {t.node}"
        )
    if unseen:
        problems.append(
            f"drives {', '.join(unseen)} are on storage the token cannot see, so it cannot be shown to be shared "
            f"for clones to {to}"
        )
        fixes.append(
            "grant Datastore.Audit or Datastore.AllocateSpace on "
            + ", ".join(sorted({f"/storage/{u.rsplit(' on ', 1)[1]}" for u in unseen}))
        )
    return problems, fixes


def _safe(fetch: Callable[[], Any], default: Any) -> Any:
    try:
        return fetch()
    except ProxmoxError:
        return default


# -- individual checks --------------------------------------------------------------------------


def _check_nodes(probe: _Probe, req: ProxmoxRequirements) -> CheckResult:
    wanted = list(dict.fromkeys([*req.allowed_nodes, *(n for p in req.pools for n in p.allowed_nodes)]))
    nodes = probe.nodes()
    listing = ", ".join(f"{n} {nodes[n].get('status', 'unknown')}" for n in sorted(nodes))
    if not wanted:
        return CheckResult(
            "nodes", "pass", f"no allowedNodes set; VMs are cloned on the template's node (cluster: {listing})"
        )
    missing = [n for n in wanted if n not in nodes]
    down = [n for n in wanted if n in nodes and nodes[n].get("status") == "offline"]
    unknown = [n for n in wanted if n in nodes and nodes[n].get("status") not in ("online", "offline")]
    problems = []
    fixes = []
    if missing:
        problems.append(f"{', '.join(missing)} not in the cluster")
        fixes.append("correct allowedNodes")
    if down:
        problems.append(f"{', '.join(down)} not online")
        fixes.append(f"bring {', '.join(down)} online or remove it from allowedNodes")
    if problems:
        return CheckResult("nodes", "fail", "; ".join(problems) + f" (cluster: {listing})", "; ".join(fixes))
    up = [n for n in wanted if n not in unknown]
    text = f"{', '.join(up)} online" if up else ""
    if unknown:
        text += ("; " if text else "") + (
            f"{', '.join(unknown)} status unknown (not refreshed by the cluster yet; it is used as online)"
        )
    return CheckResult("nodes", "pass", text)


_agent_enabled = agent_enabled


def _check_agent(pool: PoolNeeds, t: _Template | None) -> CheckResult:
    name = f"guest-agent[{pool.name}]"
    if pool.skip_guest_agent:
        return CheckResult(name, "pass", "not required (guest agent checks are skipped)")
    if t is None or t.config is None:
        return CheckResult(name, "warn", "not checked: the template could not be read", "fix the template check first")
    raw = t.config.get("agent")
    if raw is not None and _agent_enabled(raw):
        return CheckResult(name, "pass", f"{_describe(t)} has the QEMU guest agent enabled")
    shown = f"agent: {raw}" if raw is not None else "no agent setting"
    return CheckResult(
        name,
        "fail",
        f"{_describe(t)} has the QEMU guest agent disabled ({shown})",
        f"run 'qm set {t.vmid} --agent enabled=1' and install qemu-guest-agent in the image, "
        "or skip the guest agent check for OSes without one",
    )


def _pool_nodes(probe: _Probe, req: ProxmoxRequirements, pool: PoolNeeds, t: _Template | None) -> tuple[str, ...]:
    nodes = req.nodes_for(pool) or ((t.node,) if t else ())
    return probe.online(nodes)


def _check_storage(probe: _Probe, sid: str, users: list[tuple[PoolNeeds, tuple[str, ...]]]) -> CheckResult:
    name = f"storage[{sid}]"
    nodes = tuple(dict.fromkeys(n for _, ns in users for n in ns))
    need = sum(p.disk_gb * GIB * p.max_vms for p, _ in users)
    problems: dict[str, list[str]] = {}  # problem -> nodes
    avail: dict[str, int] = {}
    shared = False
    thick = ""
    for node in nodes:
        try:
            entry = probe.storages(node).get(sid)
        except ProxmoxError as err:
            problems.setdefault(f"cannot be listed ({err.problem}) on", []).append(node)
            continue
        if entry is None:
            problems.setdefault("not visible on", []).append(node)
            continue
        shared = shared or _truthy(entry.get("shared", 0))
        if str(entry.get("type")) in _THICK:
            thick = str(entry.get("type"))
        content = str(entry.get("content", "")).split(",")
        if not _truthy(entry.get("enabled", 0)):
            problems.setdefault("disabled on", []).append(node)
        elif not _truthy(entry.get("active", 0)):
            problems.setdefault("not active on", []).append(node)
        elif "images" not in content:
            problems.setdefault(f"does not hold disk images (content: {entry.get('content')}) on", []).append(node)
        else:
            avail[node] = int(entry.get("avail", 0))
    if problems:
        return CheckResult(
            name,
            "fail",
            "; ".join(f"{k} {', '.join(v)}" for k, v in problems.items()),
            f"enable {sid} with content 'images' on {', '.join(nodes)}, or pick another "
            f"storage; the token needs Datastore.AllocateSpace on /storage/{sid} to see it",
        )
    have = max(avail.values(), default=0) if shared else sum(avail.values())
    kind = "shared" if shared else "local"
    usage = ", ".join(f"{p.name} {p.max_vms} x {p.disk_gb} GiB" for p, _ in users)
    if thick and avail:
        one = max(p.disk_gb for p, _ in users) * GIB
        short = [n for n, a in avail.items() if a < one]
        if short or need > have:
            where = (
                f"one {_gib(one)} disk does not fit on {', '.join(short)}"
                if short
                else (f"pools at maximum size need {_gib(need)} ({usage}) but it has {_gib(have)} free")
            )
            return CheckResult(
                name,
                "fail",
                f"{sid} is thick-provisioned ({thick}), so every disk is reserved in full at clone time: {where} "
                f"({', '.join(f'{n} {_gib(a)} free' for n, a in avail.items())})",
                "free space on it, or set a larger or thin-provisioned storage (lvmthin, zfspool, rbd) for the pool",
            )
    if need > have:
        return CheckResult(
            name,
            "warn",
            f"pools at maximum size need {_gib(need)} ({usage}) but {sid} ({kind}) has {_gib(have)} free",
            "free space, pick a larger storage, or rely on thin provisioning knowingly",
        )
    return CheckResult(name, "pass", f"{kind}, images, {_gib(have)} free for {_gib(need)} ({usage})")


def _check_bridge(probe: _Probe, bridge: str, nodes: tuple[str, ...]) -> CheckResult:
    """The bridge (or SDN vnet) exists and is up on every node a VM of it may run on."""
    name = f"bridge[{bridge}]"
    missing: list[str] = []
    down: list[str] = []
    for node in nodes:
        try:
            seen = probe.bridges(node)
        except ProxmoxError as err:
            missing.append(f"{node} ({err.problem})")
            continue
        if bridge not in seen:
            missing.append(node)
        elif not _truthy(seen[bridge].get("active", 0)):
            down.append(node)
    if not missing and not down:
        return CheckResult(name, "pass", f"present and active on {', '.join(nodes)}")
    problems = []
    if missing:
        problems.append(f"missing on {', '.join(missing)}")
    if down:
        problems.append(f"not active on {', '.join(down)}")
    fix = f"create {bridge} on every allowed node (System > Network) and apply the config"
    zone = probe.zone_of(bridge, nodes) or "<zone>"
    path = f"/sdn/zones/{zone}/{bridge}"
    blind = missing and not {"SDN.Use", "SDN.Audit"} & set(_safe(lambda: probe.perms(path), {}))
    if blind:
        fix = f"grant the token SDN.Use on {path} (PVESDNUser); without it bridges are hidden. Otherwise {fix}"
    return CheckResult(name, "fail", "; ".join(problems), fix)


def iso_store(probe: _Probe, node: str) -> dict[str, Any] | None:
    """The store go-proxmox uploads CAPMOX's cloud-init ISO to on ``node``: the first enabled
    entry of ``/nodes/{node}/storage`` whose content mentions ``iso`` (``findStorageByContent``)."""
    for entry in probe.storages(node).values():
        if _truthy(entry.get("enabled", 0)) and "iso" in str(entry.get("content", "")):
            return entry
    return None


def _check_iso_storage(probe: _Probe, nodes: tuple[str, ...]) -> CheckResult:
    """CAPMOX bootstraps every VM from a cloud-init ISO it uploads to the VM's node and deletes later."""
    name = "cloud-init-iso"
    chosen: dict[str, str] = {}
    problems: list[str] = []
    for node in nodes:
        try:
            entry = iso_store(probe, node)
        except ProxmoxError as err:
            problems.append(f"the storages of {node} cannot be listed ({err.problem})")
            continue
        if entry is None:
            problems.append(f"no enabled storage with content iso is visible on {node}")
        elif not _truthy(entry.get("active", 0)):
            problems.append(f"{entry['storage']}, the first iso storage on {node}, is not active")
        else:
            chosen[node] = str(entry["storage"])
    if problems:
        return CheckResult(
            name,
            "fail",
            "; ".join(problems),
            "enable content 'iso' on a storage of every allowed node (e.g. local) and grant the token "
            "PVEDatastoreAdmin on /storage/<that storage>; without Datastore.Audit or AllocateSpace it is invisible",
        )
    if not nodes:
        return CheckResult(name, "pass", "no node to check")
    by_store: dict[str, list[str]] = {}
    for node, sid in chosen.items():
        by_store.setdefault(sid, []).append(node)
    text = "; ".join(f"{sid} on {', '.join(ns)}" for sid, ns in by_store.items())
    return CheckResult(name, "pass", f"CAPMOX uploads the cloud-init ISO to {text}")


def _check_resource_pool(probe: _Probe, poolid: str) -> CheckResult:
    name = f"resource-pool[{poolid}]"
    try:
        listed = {str(p.get("poolid")) for p in probe.client.pools()}
        if poolid in listed:
            return CheckResult(name, "pass", f"pool {poolid} exists")
        probe.client.pool(poolid)  # answers without Pool.Audit (PVE >= 8.1), 500 if it does not exist
        return CheckResult(name, "pass", f"pool {poolid} exists")
    except ProxmoxNotFoundError:
        pass
    except ProxmoxPermissionError:
        if _safe(lambda: probe.perms(f"/pool/{poolid}"), {}):
            return CheckResult(
                name, "pass", f"the token holds privileges on /pool/{poolid} (it cannot list pools without Pool.Audit)"
            )
    return CheckResult(
        name,
        "fail",
        f"pool {poolid} does not exist or is invisible to the token",
        f"create it: pveum pool add {poolid}; then grant PVEVMAdmin on /pool/{poolid}",
    )


# Privileges whose absence CAPMOX survives: go-proxmox's Cluster() ignores a 403 on
# /cluster/status (Sys.Audit on /), so it is only a warning.
_OPTIONAL = {("/", "Sys.Audit")}


def _pool_nodes_all(probe: _Probe, req: ProxmoxRequirements, pool: PoolNeeds, t: _Template | None) -> tuple[str, ...]:
    return req.nodes_for(pool) or ((t.node,) if t else ())


def _required_privileges(
    probe: _Probe, req: ProxmoxRequirements, templates: dict[str, _Template | None], major: int
) -> dict[str, set[str]]:
    """ACL path -> privileges, as PVE checks them for CAPMOX's calls (clone, config, ISO upload)."""
    need: dict[str, set[str]] = {"/": {"Sys.Audit"}}
    for pool in req.pools:
        t = templates.get(pool.name)
        nodes = _pool_nodes_all(probe, req, pool, t)
        for node in nodes:
            need.setdefault(f"/nodes/{node}", set()).add("Sys.Audit")
            iso = _safe(partial(iso_store, probe, node), None)
            if iso is not None:  # upload (AllocateTemplate) and later delete (Allocate) the ISO
                need.setdefault(f"/storage/{iso['storage']}", set()).update(
                    {"Datastore.AllocateTemplate", "Datastore.Allocate"}
                )
        if t is not None:
            need.setdefault(f"/vms/{t.vmid}", set()).update({"VM.Clone", "VM.Audit"})
        target = f"/pool/{pool.resource_pool}" if pool.resource_pool else "/vms"
        privs = set(_VM_PRIVS)
        if not pool.skip_guest_agent:
            privs.add("VM.GuestAgent.Audit" if major >= 9 else "VM.Monitor")
        if not pool.skip_cloud_init_status and not pool.skip_guest_agent:
            privs.add("VM.GuestAgent.Unrestricted" if major >= 9 else "VM.Monitor")
        need.setdefault(target, set()).update(privs)
        # check_storage_access_clone: AllocateSpace per template disk, on the target storage if set
        sids = [pool.storage] if pool.storage else (t.disk_storages if t else [])
        for sid in sids:
            need.setdefault(f"/storage/{sid}", set()).add("Datastore.AllocateSpace")
        if t is not None and any(d.physical_cdrom for d in t.drives):
            need["/"].add("Sys.Console")
        # check_bridge_access: SDN.Use for the template's own NICs, then for the configured ones
        for nic in t.nics if t is not None else []:
            zone = probe.zone_of(nic.bridge, nodes) or "<zone>"
            base = f"/sdn/zones/{zone}/{nic.bridge}"
            paths = [f"{base}/{v}" for v in (nic.tag, *nic.trunks) if v] or [base]
            for path in paths:
                need.setdefault(path, set()).add("SDN.Use")
        for net in pool.networks:
            zone = probe.zone_of(net.bridge, nodes) or "<zone>"
            need.setdefault(net.sdn_path(zone), set()).add("SDN.Use")
    return need


_ROLE_HINT = {
    "/nodes": "PVEAuditor",
    "/vms": "PVEVMAdmin",
    "/pool": "PVEVMAdmin",
    "/storage": "PVEDatastoreUser",
    "/sdn": "PVESDNUser",
}


def _check_privileges(
    probe: _Probe, client: ProxmoxClient, req: ProxmoxRequirements, templates: dict[str, _Template | None], major: int
) -> CheckResult:
    need = _required_privileges(probe, req, templates, major)
    # A VM that does not exist yet inherits from /vms (and, once created, from its pool).
    free_vm = f"/vms/{client.next_id()}" if req.pools else "/vms"
    missing: dict[str, list[str]] = {}
    for path in sorted(need):
        if path == "/vms":
            have = set(probe.perms(free_vm))
        elif path.startswith("/pool/"):
            have = set(probe.perms(path)) | set(probe.perms(free_vm))
        else:
            have = set(probe.perms(path))
        gap = sorted(need[path] - have)
        if gap:
            missing[path] = gap
    optional = {p: [x for x in v if (p, x) in _OPTIONAL] for p, v in missing.items()}
    optional = {p: v for p, v in optional.items() if v}
    missing = {p: [x for x in v if (p, x) not in _OPTIONAL] for p, v in missing.items()}
    missing = {p: v for p, v in missing.items() if v}
    total = sum(len(v) for v in need.values())
    if not missing:
        held = f"token {client.token_id} holds the {total} privileges CAPMOX needs on {len(need)} paths (PVE {major})"
        if optional:
            return CheckResult(
                "privileges",
                "warn",
                f"{held}, except Sys.Audit on /: CAPMOX works without it (go-proxmox ignores the 403 on "
                "/cluster/status) but cannot read the cluster status",
                f"pveum acl modify / --tokens '{client.token_id}' --roles PVEAuditor --propagate 0",
            )
        return CheckResult("privileges", "pass", held)
    found = "; ".join(f"{', '.join(v)} on {p}" for p, v in missing.items())
    cmds = []
    for path, privs in missing.items():
        top = "/" + path.strip("/").split("/", 1)[0] if path != "/" else "/"
        if path.startswith("/vms/") and privs and set(privs) <= {"VM.Clone", "VM.Audit"}:
            role = "PVETemplateUser"
        elif path.startswith("/storage/") and {"Datastore.AllocateTemplate", "Datastore.Allocate"} & set(privs):
            role = "PVEDatastoreAdmin"
        elif path == "/" and "Sys.Console" in privs:
            role = "PVESysAdmin --propagate 0"
        elif path == "/" or (top == "/nodes"):
            role = "PVEAuditor"
        else:
            role = _ROLE_HINT.get(top, "a role with them")
        cmds.append(f"pveum acl modify {path} --tokens '{client.token_id}' --roles {role}")
    return CheckResult(
        "privileges",
        "fail",
        f"token {client.token_id} lacks {found}",
        "; ".join(cmds) + f" (with privilege separation grant the same to {client.user})",
    )


def _check_capacity(probe: _Probe, req: ProxmoxRequirements, templates: dict[str, _Template | None]) -> CheckResult:
    pool_nodes = {p.name: _pool_nodes(probe, req, p, templates.get(p.name)) for p in req.pools}
    nodes = tuple(dict.fromkeys(n for ns in pool_nodes.values() for n in ns))
    free: dict[str, int] = {}
    cpus: dict[str, int] = {}
    unreadable: list[str] = []
    for node in nodes:
        try:
            status = probe.client.node_status(node)
            total = int(status["memory"]["total"])
            guests = [g for g in probe.client.node_qemu(node) if not _truthy(g.get("template", 0))]
            guests += probe.client.node_lxc(node)
        except ProxmoxPermissionError as err:
            unreadable.append(f"{node} (no {' or '.join(err.privileges)} on {err.acl_path})")
            continue
        except ProxmoxError as err:
            unreadable.append(f"{node} ({err.problem})")
            continue
        cpus[node] = int(status.get("cpuinfo", {}).get("cpus", 0))
        if req.memory_adjustment == 0:
            free[node] = total
            continue
        reservable = total * req.memory_adjustment // 100
        for g in guests:
            reservable = max(reservable - int(g.get("maxmem", 0)), 0)
        free[node] = reservable
    if unreadable:
        return CheckResult(
            "capacity",
            "warn",
            f"cannot read {', '.join(unreadable)}",
            "grant Sys.Audit on /nodes (PVEAuditor) so memory can be checked",
        )
    fails: list[str] = []
    for p in req.pools:
        ns = [n for n in pool_nodes[p.name] if n in free]
        if not ns:
            fails.append(f"{p.name} has no online node to run on")
            continue
        best = max(ns, key=lambda n: free[n])
        if p.memory_mib * MIB > free[best]:
            fails.append(
                f"a {p.name} VM needs {_gib(p.memory_mib * MIB)} but the most any "
                f"allowed node can reserve is {_gib(free[best])} ({best})"
            )
        big = max(ns, key=lambda n: cpus[n])
        if p.cores > cpus[big]:
            fails.append(f"a {p.name} VM has {p.cores} vCPUs but the largest allowed node ({big}) has {cpus[big]} CPUs")
    if fails:
        return CheckResult("capacity", "fail", "; ".join(fails), "use smaller VMs or allow larger nodes")
    left = dict(free)
    unplaced = 0
    for p in req.pools:
        ns = [n for n in pool_nodes[p.name] if n in left]
        for _ in range(p.max_vms):
            best = max(ns, key=lambda n: left[n])
            if left[best] < p.memory_mib * MIB:
                unplaced += 1
            else:
                left[best] -= p.memory_mib * MIB
    mem_need = sum(p.memory_mib * MIB * p.max_vms for p in req.pools)
    cpu_need = sum(p.cores * p.max_vms for p in req.pools)
    mem_have = sum(free.values())
    cpu_have = sum(cpus.values())
    per_node = ", ".join(f"{n} {_gib(free[n])}" for n in free)
    summary = (
        f"pools at maximum size need {_gib(mem_need)} memory and {cpu_need} vCPUs; "
        f"allowed nodes can reserve {_gib(mem_have)} ({per_node}) and have "
        f"{cpu_have} CPUs"
    )
    warns = []
    if unplaced:
        total_vms = sum(p.max_vms for p in req.pools)
        warns.append(f"{unplaced} of {total_vms} VMs would not fit")
    if cpu_need > cpu_have:
        warns.append("vCPUs exceed host CPUs")
    if warns:
        return CheckResult(
            "capacity",
            "warn",
            f"{summary}; " + "; ".join(warns),
            "lower maximum sizes, add nodes, or raise schedulerHints.memoryAdjustment above "
            "100 to overcommit memory deliberately",
        )
    return CheckResult("capacity", "pass", summary)


def _check_addresses(req: ProxmoxRequirements) -> CheckResult:
    need = sum(p.max_vms for p in req.pools)
    parts = ", ".join(f"{p.name} {p.max_machines}+{p.max_surge}" for p in req.pools)
    if not req.ip_ranges:
        return CheckResult(
            "ip-addresses",
            "warn",
            f"no IP ranges given; {need} addresses needed ({parts})",
            "set the node IP ranges so this can be checked",
        )
    have = usable_addresses(req.ip_ranges, req.gateway)
    ranges = ", ".join(str(r) for r in req.ip_ranges)
    if have < need:
        return CheckResult(
            "ip-addresses",
            "fail",
            f"{ranges} hold {have} usable addresses; pools at maximum size plus surge need {need} ({parts})",
            f"add at least {need - have} addresses to the ranges or lower maxSize/maxSurge",
        )
    return CheckResult("ip-addresses", "pass", f"{ranges} hold {have} usable addresses for {need} ({parts})")


_VMID_PROBES = 64  # /cluster/nextid?vmid=N calls beyond the ids needed, at most


def _id_taken(probe: _Probe, vmid: int) -> bool:
    """``GET /cluster/nextid?vmid=N`` as CAPMOX asks it: 400 "VM N already exists" means taken.

    Unlike the guest lists this is not filtered by privileges, so it sees guests the token cannot.
    """
    try:
        probe.client.get("cluster/nextid", vmid=vmid)
    except ProxmoxAPIError as err:
        if err.status == 400 and "already exists" in " ".join(err.errors.values()):
            return True
        raise
    return False


def _check_vmid_range(probe: _Probe, pool: PoolNeeds) -> CheckResult:
    """Enough free VM ids in the pool's vmIDRange for every VM at maximum size plus surge.

    CAPMOX takes ids from this range only, checking each with ``/cluster/nextid?vmid=N``, so a
    range full of other guests stalls the pool (and two clusters sharing a range race for the
    same ids). The guests the token sees are counted first; then ids are confirmed free the way
    CAPMOX asks, which also finds guests hidden from the token.
    """
    assert pool.vm_id_range is not None
    start, end = pool.vm_id_range
    name = f"vmid-range[{pool.name}]"
    seen = {int(r["vmid"]) for r in probe.vm_resources() if start <= int(r["vmid"]) <= end}
    need = pool.max_vms
    hidden: list[int] = []
    confirmed = 0
    for vmid in range(start, end + 1):
        if confirmed >= need or len(hidden) + confirmed >= need + _VMID_PROBES:
            break
        if vmid in seen:
            continue
        if _id_taken(probe, vmid):
            hidden.append(vmid)
        else:
            confirmed += 1
    taken = sorted(seen | set(hidden))
    free = end - start + 1 - len(taken)
    used = f"; in use: {', '.join(map(str, taken[:10]))}{' ...' if len(taken) > 10 else ''}" if taken else ""
    unseen = f" ({len(hidden)} not visible to the token)" if hidden else ""
    found = f"{start}-{end} has {free} free VM id(s) for up to {need} VM(s){used}{unseen}"
    if free < need:
        return CheckResult(name, "fail", found, f"widen vmIDRange to at least {need + len(taken)} ids or free some")
    if confirmed < need:
        return CheckResult(
            name,
            "warn",
            f"{found}; only {confirmed} confirmed free with /cluster/nextid after {_VMID_PROBES} taken ids",
            "widen vmIDRange or move it to a less crowded span",
        )
    return CheckResult(name, "pass", found + f" (the first {need} confirmed with /cluster/nextid, as CAPMOX asks)")


def _guard(name: str, run: Callable[[], CheckResult]) -> CheckResult:
    """Turn an unexpected API failure inside one check into that check's failure."""
    try:
        return run()
    except ProxmoxError as err:
        return CheckResult(name, "fail", err.problem, err.hint or "see the error above")


def run_proxmox_checks(
    client: ProxmoxClient, requirements: ProxmoxRequirements, *, version: dict[str, Any] | None = None
) -> list[CheckResult]:
    """Run every Proxmox check in a fixed order; stop after the first if the API is unusable.

    ``version`` is the ``/version`` answer when the caller already has it.
    """
    req = requirements
    try:
        version = version if version is not None else client.version()
    except ProxmoxError as err:
        return [CheckResult("api-access", "fail", err.problem, err.hint or "check the URL, token and network")]
    release = str(version.get("release") or version.get("version") or "0")
    major = int(release.split(".", 1)[0]) if release.split(".", 1)[0].isdigit() else 0
    access = f"PVE {version.get('version', release)} at {client.url}, token {client.token_id}"
    if client.endpoint.suffix_stripped:
        results = [
            CheckResult(
                "api-access",
                "fail",
                f"{access}; the URL ends in /api2/json, which CAPMOX appends again (HTTP 501)",
                f"use {client.url}",
            )
        ]
    else:
        results = [CheckResult("api-access", "pass", access)]
    probe = _Probe(client)
    templates: dict[str, _Template | None] = {}
    template_results: list[CheckResult] = []
    for pool in req.pools:
        try:
            t, res = _resolve_template(probe, req, pool)
        except ProxmoxError as err:
            t, res = None, CheckResult(f"template[{pool.name}]", "fail", err.problem, err.hint)
        templates[pool.name] = t
        template_results.append(res)
    results.append(_guard("privileges", lambda: _check_privileges(probe, client, req, templates, major)))
    results.append(_guard("nodes", lambda: _check_nodes(probe, req)))
    results += template_results
    results += [_check_agent(p, templates[p.name]) for p in req.pools]
    by_storage: dict[str, list[tuple[PoolNeeds, tuple[str, ...]]]] = {}
    for p in req.pools:
        t = templates[p.name]
        sid = p.storage or (t.boot_storage(p.boot_disk) if t else None)
        if sid is None:
            results.append(
                CheckResult(
                    f"storage[{p.name}]",
                    "warn",
                    "not checked: no storage set and the template disk is unknown",
                    "set the pool's storage",
                )
            )
            continue
        by_storage.setdefault(sid, []).append((p, _pool_nodes(probe, req, p, t)))
    for sid, users in by_storage.items():
        results.append(_guard(f"storage[{sid}]", partial(_check_storage, probe, sid, users)))
    by_bridge: dict[str, list[str]] = {}
    for p in req.pools:
        for net in p.networks:
            by_bridge.setdefault(net.bridge, []).extend(_pool_nodes(probe, req, p, templates[p.name]))
    for bridge, nodes in by_bridge.items():
        results.append(_guard(f"bridge[{bridge}]", partial(_check_bridge, probe, bridge, tuple(dict.fromkeys(nodes)))))
    iso_nodes = tuple(dict.fromkeys(n for p in req.pools for n in _pool_nodes(probe, req, p, templates[p.name])))
    results.append(_guard("cloud-init-iso", partial(_check_iso_storage, probe, iso_nodes)))
    for poolid in dict.fromkeys(p.resource_pool for p in req.pools if p.resource_pool):
        assert poolid is not None
        results.append(_guard(f"resource-pool[{poolid}]", partial(_check_resource_pool, probe, poolid)))
    for p in req.pools:
        if p.vm_id_range is not None:
            results.append(_guard(f"vmid-range[{p.name}]", partial(_check_vmid_range, probe, p)))
    results.append(_guard("capacity", lambda: _check_capacity(probe, req, templates)))
    results.append(_check_addresses(req))
    return results
