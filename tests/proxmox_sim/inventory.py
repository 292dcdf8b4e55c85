"""What the simulated Proxmox VE cluster contains. Tests mutate these objects freely."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from .acl import AccessConfig, Acl

GIB = 1024**3
MIB = 1024**2


@dataclass
class SimNode:
    """A cluster member. The first node of the inventory is the one the API is served from."""

    name: str
    status: str = "online"  # online | offline | unknown
    memory_total: int = 64 * GIB
    memory_used: int = 8 * GIB
    cpus: int = 16
    sockets: int = 1
    cpu_model: str = "AMD EPYC 7302P 16-Core Processor"
    uptime: int = 86400
    level: str = ""


@dataclass
class SimVM:
    """A QEMU guest (or an LXC container with ``kind='lxc'``)."""

    vmid: int
    node: str
    name: str = ""
    template: bool = False
    tags: list[str] = field(default_factory=list)
    status: str = "stopped"
    memory_mib: int = 2048
    cores: int = 2
    sockets: int = 1
    disk_gb: int = 20
    storage: str = "local-lvm"
    bridge: str = "vmbr0"
    agent: str | None = "1"  # the raw ``agent`` config value; None = key absent
    kind: str = "qemu"
    lock: str | None = None
    extra_config: dict[str, Any] = field(default_factory=dict)
    has_rrd: bool = True  # False: /cluster/resources shows only id/vmid/node/type/status

    def tag_string(self) -> str:
        """Tags as PVE stores them: lower-cased, de-duplicated, sorted, ';'-joined."""
        return ";".join(sorted({t.strip().lower() for t in self.tags if t.strip()}))

    def display_name(self) -> str:
        return self.name or f"VM {self.vmid}"


@dataclass
class SimStorage:
    """One ``storage.cfg`` entry; ``nodes=None`` means every node."""

    storage: str
    type: str = "lvmthin"
    content: list[str] = field(default_factory=lambda: ["images", "rootdir"])
    shared: bool = False
    nodes: list[str] | None = None
    disable: bool = False
    total: int = 500 * GIB
    used: int = 100 * GIB
    inactive_on: set[str] = field(default_factory=set)

    def enabled_on(self, node: str) -> bool:
        return not self.disable and (self.nodes is None or node in self.nodes)


@dataclass
class SimIface:
    """One entry of a node's ``/etc/network/interfaces``."""

    iface: str
    type: str = "bridge"  # bridge | OVSBridge | eth | bond | vlan | ...
    active: bool = True
    bridge_ports: str | None = "eno1"
    cidr: str | None = None
    vlan_aware: bool = False


@dataclass
class SimVnet:
    """An SDN vnet (``/etc/pve/sdn/vnets.cfg``); it shows up as a bridge on the zone's nodes."""

    vnet: str
    zone: str
    nodes: list[str] | None = None  # the zone's nodes; None = every node
    tag: int | None = None
    vlanaware: bool = False


@dataclass
class SimPool:
    poolid: str
    comment: str | None = None
    vms: set[int] = field(default_factory=set)
    storages: set[str] = field(default_factory=set)


@dataclass
class SimToken:
    name: str
    secret: str
    privsep: bool = True
    expire: int = 0  # epoch seconds, 0 = never


@dataclass
class SimUser:
    userid: str
    enable: bool = True
    expire: int = 0
    tokens: dict[str, SimToken] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenCredentials:
    """What a user of the tool pastes: the full token id and its secret."""

    token_id: str
    secret: str

    @property
    def user(self) -> str:
        return self.token_id.split("!", 1)[0]

    @property
    def name(self) -> str:
        return self.token_id.split("!", 1)[1]


@dataclass
class Inventory:
    """The whole simulated cluster plus its access configuration."""

    version: str = "9.2.11"
    nodes: list[SimNode] = field(default_factory=list)
    vms: list[SimVM] = field(default_factory=list)
    storages: list[SimStorage] = field(default_factory=list)
    networks: dict[str, list[SimIface]] = field(default_factory=dict)
    vnets: list[SimVnet] = field(default_factory=list)
    pools: dict[str, SimPool] = field(default_factory=dict)
    users: dict[str, SimUser] = field(default_factory=dict)
    acls: list[Acl] = field(default_factory=list)
    custom_roles: dict[str, frozenset[str]] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    cluster_name: str = "lab"
    next_id_lower: int = 100

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def release(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def node(self, name: str) -> SimNode | None:
        return next((n for n in self.nodes if n.name == name), None)

    def vm(self, vmid: int) -> SimVM | None:
        return next((v for v in self.vms if v.vmid == vmid), None)

    def storage(self, sid: str) -> SimStorage | None:
        return next((s for s in self.storages if s.storage == sid), None)

    def pool_of_vm(self, vmid: int) -> str | None:
        return next((p.poolid for p in self.pools.values() if vmid in p.vms), None)

    def access(self) -> AccessConfig:
        """Snapshot of the ACL state used to answer one request."""
        privsep = {f"{u.userid}!{t.name}": t.privsep for u in self.users.values() for t in u.tokens.values()}
        return AccessConfig(
            major=self.major,
            acls=list(self.acls),
            custom_roles=dict(self.custom_roles),
            groups={g: set(m) for g, m in self.groups.items()},
            pool_of_vm={vmid: p.poolid for p in self.pools.values() for vmid in p.vms},
            pool_of_storage={s: p.poolid for p in self.pools.values() for s in p.storages},
            token_privsep=privsep,
        )

    def add_token(
        self,
        userid: str,
        name: str,
        *,
        privsep: bool = True,
        secret: str | None = None,
        acls: list[tuple[str, str]] | None = None,
        user_acls: list[tuple[str, str]] | None = None,
        propagate: bool = True,
        expire: int = 0,
    ) -> TokenCredentials:
        """Create (user and) token; ``acls``/``user_acls`` are (path, role) pairs to grant."""
        user = self.users.setdefault(userid, SimUser(userid))
        token = SimToken(name=name, secret=secret or str(uuid.uuid4()), privsep=privsep, expire=expire)
        user.tokens[name] = token
        token_id = f"{userid}!{name}"
        for path, role in acls or []:
            self.acls.append(Acl(path, role, token_id, "token", propagate))
        for path, role in user_acls or []:
            self.acls.append(Acl(path, role, userid, "user", propagate))
        return TokenCredentials(token_id, token.secret)

    def grant(self, path: str, role: str, ugid: str, *, propagate: bool = True) -> None:
        """Add an ACL entry; the kind follows from the id (``!`` token, ``@`` user, else group)."""
        kind = "token" if "!" in ugid else "user" if "@" in ugid else "group"
        self.acls.append(Acl(path, role, ugid, kind, propagate))

    def revoke(self, path: str, ugid: str) -> None:
        self.acls = [a for a in self.acls if not (a.path == path and a.ugid == ugid)]


def standard_inventory() -> Inventory:
    """A three-node lab: pve3 offline, shared Ceph plus local LVM-thin, two templates.

    The ``capmox@pve!capi`` token gets exactly the least-privilege ACLs of the CAPMOX docs
    (proxmox-api.md §4.2), with privilege separation on; its user holds the same ACLs.
    """
    inv = Inventory()
    inv.nodes = [
        SimNode("pve1"),
        SimNode("pve2", memory_total=128 * GIB, cpus=32),
        SimNode("pve3", status="offline"),
    ]
    inv.storages = [
        SimStorage(
            "local", type="dir", content=["iso", "vztmpl", "backup", "snippets"], total=100 * GIB, used=20 * GIB
        ),
        SimStorage("local-lvm"),
        SimStorage("ceph", type="rbd", content=["images"], shared=True, total=2048 * GIB, used=512 * GIB),
    ]
    for node in ("pve1", "pve2", "pve3"):
        inv.networks[node] = [
            SimIface("eno1", type="eth", bridge_ports=None),
            SimIface("vmbr0", cidr="192.168.1.10/24", vlan_aware=True),
        ]
    inv.networks["pve1"].append(SimIface("vmbr1", bridge_ports=None))
    inv.vms = [
        SimVM(9000, "pve1", "ubuntu-2404-k8s", template=True, tags=["k8s", "ubuntu"], storage="ceph", agent="1"),
        SimVM(
            9001,
            "pve2",
            "ubuntu-2404-k8s-v131",
            template=True,
            tags=["k8s", "ubuntu", "v1-31"],
            storage="ceph",
            agent="enabled=1,fstrim_cloned_disks=1",
        ),
        SimVM(100, "pve1", "db01", status="running", memory_mib=16384, cores=4),
        SimVM(200, "pve2", "ct01", kind="lxc", status="running", memory_mib=4096),
    ]
    inv.pools = {
        "capi": SimPool("capi", comment="Cluster API machines"),
        "templates": SimPool("templates", vms={9000, 9001}),
    }
    inv.custom_roles = {
        "Sys.Audit": frozenset({"Sys.Audit"}),
        "Datastore.AllocateSpace": frozenset({"Datastore.AllocateSpace"}),
    }
    least = [
        ("/", "Sys.Audit", False),
        ("/nodes", "Sys.Audit", True),
        ("/pool/capi", "PVEVMAdmin", False),
        ("/pool/templates", "PVETemplateUser", False),
        ("/sdn/zones/localnetwork/vmbr0", "PVESDNUser", False),
        ("/storage/local", "PVEDatastoreAdmin", False),
        ("/storage/ceph", "Datastore.AllocateSpace", False),
    ]
    inv.users["root@pam"] = SimUser("root@pam")
    inv.add_token("capmox@pve", "capi", secret=str(uuid.UUID(bytes=secrets.token_bytes(16))))
    for path, role, prop in least:
        inv.grant(path, role, "capmox@pve!capi", propagate=prop)
        inv.grant(path, role, "capmox@pve", propagate=prop)
    return inv
