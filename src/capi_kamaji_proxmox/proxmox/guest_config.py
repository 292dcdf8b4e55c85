"""Reading a template's config and picking templates exactly as PVE and CAPMOX do.

Pure functions over API answers, so the preflight checks and their tests agree with the code
that will run later:

* drives and NICs as ``qemu-server`` walks them at clone time (``check_storage_access_clone``,
  ``check_bridge_access``), independent of the JSON key order of the answer;
* the ``agent`` property string (``[enabled=]<0|1>`` may stand anywhere in the list);
* CAPMOX v0.9 ``FindVMTemplateByTags`` (pkg/proxmox/goproxmox/api_client.go), including its
  ``bestSubset`` quirk: every candidate no worse than the best *seen so far* counts, walking
  ``/cluster/resources`` in the order PVE returns it (VM ids sorted as strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Drive",
    "Nic",
    "agent_enabled",
    "capmox_template_matches",
    "drives",
    "nics",
    "tags_of",
    "truthy",
]

# qemu-server's drive keys (PVE::QemuServer::Drive valid_drive_names, without unused*).
_DRIVE_KEY = re.compile(r"^(ide|sata|scsi|virtio|efidisk|tpmstate)(\d+)$")
_NET_KEY = re.compile(r"^net(\d+)$")
_BUS_ORDER = {"ide": 0, "sata": 1, "scsi": 2, "virtio": 3, "efidisk": 4, "tpmstate": 5}


def truthy(value: Any) -> bool:
    """Perl/PVE booleans: 1, on, yes, true."""
    return str(value).strip().lower() in ("1", "on", "yes", "true")


def _props(value: Any, default_key: str) -> dict[str, str]:
    """A PVE property string ``a,b=c``: items without ``=`` belong to ``default_key``."""
    out: dict[str, str] = {}
    for item in str(value).split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, val = item.partition("=")
        if sep:
            out[key.strip()] = val.strip()
        else:
            out[default_key] = item
    return out


@dataclass(frozen=True)
class Drive:
    """One disk or CD-ROM of a guest: ``key`` (scsi0), ``storage`` (None for none/physical)."""

    key: str
    volid: str
    storage: str | None
    cdrom: bool

    @property
    def physical_cdrom(self) -> bool:
        """``ide2: cdrom,media=cdrom``: the host's drive; cloning it needs Sys.Console on /."""
        return self.volid == "cdrom"


@dataclass(frozen=True)
class Nic:
    """One ``netN``: the bridge (or SDN vnet) and VLAN tag PVE checks SDN.Use for at clone time."""

    key: str
    bridge: str
    tag: int | None
    trunks: tuple[int, ...] = ()


def _drive_sort_key(key: str) -> tuple[int, int]:
    m = _DRIVE_KEY.match(key)
    assert m is not None
    return _BUS_ORDER[m.group(1)], int(m.group(2))


def drives(config: dict[str, Any]) -> list[Drive]:
    """Every drive of a config in bus/index order (never in the order the JSON happened to have)."""
    out: list[Drive] = []
    for key in sorted((k for k in config if _DRIVE_KEY.match(k)), key=_drive_sort_key):
        props = _props(config[key], "file")
        volid = props.get("file", "")
        cdrom = props.get("media") == "cdrom" or "cloudinit" in volid
        storage: str | None = None
        if volid and volid not in ("none", "cdrom") and ":" in volid and not volid.startswith("/"):
            storage = volid.split(":", 1)[0]
        out.append(Drive(key, volid, storage, cdrom))
    return out


def _trunks(text: str) -> tuple[int, ...]:
    """``trunks=10;20-22``: every VLAN id listed."""
    out: list[int] = []
    for part in text.split(";"):
        lo, _, hi = part.partition("-")
        if lo.strip().isdigit():
            out.extend(range(int(lo), int(hi or lo) + 1))
    return tuple(out)


def nics(config: dict[str, Any]) -> list[Nic]:
    """Every ``netN`` with a bridge, in index order."""
    out: list[Nic] = []
    for key in sorted((k for k in config if _NET_KEY.match(k)), key=lambda k: int(k[3:])):
        props = _props(config[key], "model")
        bridge = props.get("bridge")
        if not bridge:
            continue
        tag = props.get("tag")
        out.append(Nic(key, bridge, int(tag) if tag and tag.isdigit() else None, _trunks(props.get("trunks", ""))))
    return out


def agent_enabled(value: Any) -> bool:
    """``agent``: ``[enabled=]<1|0>[,fstrim_cloned_disks=1][,type=virtio]...`` in any order."""
    return truthy(_props(value, "enabled").get("enabled", "0"))


def tags_of(item: dict[str, Any]) -> set[str]:
    """A guest's tags as CAPMOX reads them: split on ';', trimmed, lower-cased."""
    return {t.strip().lower() for t in str(item.get("tags") or "").split(";") if t.strip()}


def capmox_template_matches(
    resources: list[dict[str, Any]], tags: tuple[str, ...], policy: str
) -> list[dict[str, Any]]:
    """Every template CAPMOX counts as a match, in API order; CAPMOX needs exactly one.

    For ``bestSubset`` a candidate counts when its number of extra tags is no larger than the
    smallest seen so far, so a worse template listed first is counted too.
    """
    want = {t.lower() for t in tags}
    best = 1 << 62
    counted: list[dict[str, Any]] = []
    for vm in resources:
        if not vm.get("template") or str(vm.get("template")) == "0" or not vm.get("tags"):
            continue
        have = tags_of(vm)
        if not want <= have:
            continue
        distance = len(have) - len(want)
        if policy == "exact" and distance != 0:
            continue
        if policy == "bestSubset":
            if distance > best:
                continue
            best = distance
        counted.append(vm)
    return counted
