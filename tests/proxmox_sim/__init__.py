"""A Proxmox VE API simulator for tests (HTTPS, API tokens, ACLs, per-item filtering)."""

from .acl import AccessConfig, Acl, all_privileges, builtin_roles
from .certs import TLSFiles, make_tls_files
from .inventory import (
    GIB,
    MIB,
    Inventory,
    SimIface,
    SimNode,
    SimPool,
    SimStorage,
    SimToken,
    SimUser,
    SimVM,
    SimVnet,
    TokenCredentials,
    standard_inventory,
)
from .server import LoggedRequest, PVESimulator, running

__all__ = [
    "GIB",
    "MIB",
    "AccessConfig",
    "Acl",
    "Inventory",
    "LoggedRequest",
    "PVESimulator",
    "SimIface",
    "SimNode",
    "SimPool",
    "SimStorage",
    "SimToken",
    "SimUser",
    "SimVM",
    "SimVnet",
    "TLSFiles",
    "TokenCredentials",
    "all_privileges",
    "builtin_roles",
    "make_tls_files",
    "running",
    "standard_inventory",
]
