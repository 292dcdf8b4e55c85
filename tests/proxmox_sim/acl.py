"""Privileges, built-in roles and the effective-permission computation of PVE.

Mirrors the rules of ``PVE::AccessControl::roles`` and ``PVE::RPCEnvironment::permissions``
(see shared/docs/proxmox-api.md §1.1, §3): walk the ACL tree from ``/`` to the path; a more
specific level replaces what was inherited; only propagating entries reach deeper levels; user
entries beat group entries on the same level; ``NoAccess`` wins; pool ACLs add to pool members;
privilege-separated tokens get the intersection of their own and their user's privileges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# group -> (root-only, admin, user, audit) privileges, PVE 9.x layout.
_GROUPS_9: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "VM": (
        [],
        [
            "VM.Replicate",
            "VM.Config.Disk",
            "VM.Config.CPU",
            "VM.Config.Memory",
            "VM.Config.Network",
            "VM.Config.HWType",
            "VM.Config.Options",
            "VM.Allocate",
            "VM.Clone",
            "VM.Migrate",
            "VM.Snapshot",
            "VM.Snapshot.Rollback",
            "VM.GuestAgent.FileRead",
            "VM.GuestAgent.FileWrite",
            "VM.GuestAgent.FileSystemMgmt",
            "VM.GuestAgent.Unrestricted",
        ],
        [
            "VM.Config.CDROM",
            "VM.Config.Cloudinit",
            "VM.Console",
            "VM.Backup",
            "VM.PowerMgmt",
            "VM.GuestAgent.Audit",
        ],
        ["VM.Audit"],
    ),
    "Sys": (
        ["Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"],
        ["Sys.Console", "Sys.Syslog"],
        [],
        ["Sys.Audit"],
    ),
    "Datastore": (
        [],
        ["Datastore.Allocate", "Datastore.AllocateTemplate"],
        ["Datastore.AllocateSpace"],
        ["Datastore.Audit"],
    ),
    "SDN": ([], ["SDN.Allocate"], ["SDN.Use"], ["SDN.Audit"]),
    "User": (
        ["Realm.Allocate", "Permissions.Modify"],
        ["User.Modify", "Group.Allocate", "Realm.AllocateUser"],
        [],
        [],
    ),
    "Pool": ([], ["Pool.Allocate"], ["Pool.Audit"], ["Pool.Audit"]),
    "Mapping": ([], ["Mapping.Modify"], ["Mapping.Use"], ["Mapping.Audit"]),
}

_GUEST_AGENT_9 = {
    "VM.GuestAgent.Audit",
    "VM.GuestAgent.FileRead",
    "VM.GuestAgent.FileWrite",
    "VM.GuestAgent.FileSystemMgmt",
    "VM.GuestAgent.Unrestricted",
}


def _groups(major: int) -> dict[str, tuple[list[str], list[str], list[str], list[str]]]:
    """PVE 8 has ``VM.Monitor`` and no ``VM.GuestAgent.*`` (removed/added in 9.0)."""
    if major >= 9:
        return _GROUPS_9
    groups = dict(_GROUPS_9)
    root, admin, user, audit = groups["VM"]
    groups["VM"] = (
        root,
        [p for p in admin if p not in _GUEST_AGENT_9] + ["VM.Monitor"],
        [p for p in user if p not in _GUEST_AGENT_9],
        audit,
    )
    return groups


def all_privileges(major: int) -> frozenset[str]:
    """Every privilege the given PVE major version knows."""
    out: set[str] = set()
    for parts in _groups(major).values():
        for lst in parts:
            out.update(lst)
    return frozenset(out)


def builtin_roles(major: int) -> dict[str, frozenset[str]]:
    """The generated built-in roles (``PVE<Group>Admin`` etc.) for a PVE major version."""
    roles: dict[str, frozenset[str]] = {}
    pve_admin: set[str] = set()
    auditor: set[str] = set()
    for group, (_root, admin, user, audit) in _groups(major).items():
        roles[f"PVE{group}Admin"] = frozenset(admin + user + audit)
        if user:
            roles[f"PVE{group}User"] = frozenset(user + audit)
        pve_admin.update(admin + user + audit)
        auditor.update(audit)
    roles["PVEAdmin"] = frozenset(pve_admin)
    roles["PVEAuditor"] = frozenset(auditor)
    roles["PVETemplateUser"] = frozenset({"VM.Clone", "VM.Audit"})
    roles["Administrator"] = all_privileges(major)
    roles["NoAccess"] = frozenset()
    return roles


@dataclass(frozen=True)
class Acl:
    """One ACL entry. ``ugid`` is a user id, a group name or a full token id."""

    path: str
    role: str
    ugid: str
    kind: str = "token"  # "user" | "group" | "token"
    propagate: bool = True


@dataclass
class AccessConfig:
    """The parts of ``user.cfg`` that decide permissions."""

    major: int
    acls: list[Acl] = field(default_factory=list)
    custom_roles: dict[str, frozenset[str]] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> member user ids
    pool_of_vm: dict[int, str] = field(default_factory=dict)
    pool_of_storage: dict[str, str] = field(default_factory=dict)
    token_privsep: dict[str, bool] = field(default_factory=dict)  # full token id -> privsep

    def role_privs(self, role: str) -> frozenset[str]:
        if role in self.custom_roles:
            return self.custom_roles[role]
        return builtin_roles(self.major).get(role, frozenset())

    def _roles(self, ugid: str, kind: str, path: str) -> dict[str, bool]:
        """Role -> propagate for one user or token on one path, pools not considered."""
        parts = [p for p in path.split("/") if p]
        levels = ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
        user_groups = [g for g, members in self.groups.items() if ugid in members]
        roles: dict[str, bool] = {}
        for i, level in enumerate(levels):
            final = i == len(levels) - 1
            own: dict[str, bool] = {}
            grp: dict[str, bool] = {}
            for acl in self.acls:
                if acl.path.rstrip("/") != level.rstrip("/") and not (acl.path == "/" == level):
                    continue
                if not final and not acl.propagate:
                    continue
                if acl.kind == kind and acl.ugid == ugid:
                    own[acl.role] = acl.propagate
                elif kind == "user" and acl.kind == "group" and acl.ugid in user_groups:
                    grp[acl.role] = acl.propagate
            if own:
                roles = own
            elif grp:
                roles = grp
        if "NoAccess" in roles:
            return {}
        return roles

    def _privs_with_pools(self, ugid: str, kind: str, path: str) -> dict[str, int]:
        roles = dict(self._roles(ugid, kind, path))
        pool: str | None = None
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "vms" and parts[1].isdigit():
            pool = self.pool_of_vm.get(int(parts[1]))
        elif len(parts) == 2 and parts[0] == "storage":
            pool = self.pool_of_storage.get(parts[1])
        if pool is not None:
            for role, prop in self._roles(ugid, kind, f"/pool/{pool}").items():
                roles[role] = roles.get(role, False) or prop
        privs: dict[str, int] = {}
        for role, prop in roles.items():
            for priv in self.role_privs(role):
                privs[priv] = max(privs.get(priv, 0), int(prop))
        return privs

    def permissions(self, auth_id: str, path: str) -> dict[str, int]:
        """Effective privilege -> propagate flag of a user or token on ``path``."""
        if auth_id == "root@pam":
            return {p: 1 for p in all_privileges(self.major)}
        if "!" in auth_id:
            user = auth_id.split("!", 1)[0]
            user_privs = self.permissions(user, path)
            if not self.token_privsep.get(auth_id, True):
                return user_privs
            own = self._privs_with_pools(auth_id, "token", path)
            return {p: v for p, v in own.items() if p in user_privs}
        return self._privs_with_pools(auth_id, "user", path)

    def has(self, auth_id: str, path: str, *privs: str) -> bool:
        """True when any of ``privs`` is granted on ``path`` (PVE's ``any`` check)."""
        granted = self.permissions(auth_id, path)
        return any(p in granted for p in privs)
