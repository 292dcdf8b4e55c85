"""The simulator answers like PVE: status codes, envelopes, filtering and ACL inheritance."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.proxmox.conftest import token_of
from tests.proxmox_sim import PVESimulator


def _get(sim: PVESimulator, path: str, auth: str | None = None, /, **params: Any
         ) -> requests.Response:
    headers = {"Authorization": auth} if auth is not None else {}
    return requests.get(f"{sim.url}/api2/json{path}", params=params, headers=headers,
                        verify=str(sim.ca_path), timeout=5)


def _auth(sim: PVESimulator, token_id: str = "capmox@pve!capi") -> str:
    return f"PVEAPIToken={token_id}={token_of(sim, token_id)}"


def test_version_envelope_and_content_type(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/version", _auth(pve_sim))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert r.json() == {"data": {"version": "9.2.11", "release": "9.2",
                                 "repoid": "14a22df3a1b2c3d4"}}


def test_401_shapes_have_empty_body(pve_sim: PVESimulator) -> None:
    none = _get(pve_sim, "/version")
    assert (none.status_code, none.reason, none.content) == (401, "No ticket", b"")
    bad = _get(pve_sim, "/version", "PVEAPIToken=capmox@pve!capi=00000000-bad")
    assert (bad.status_code, bad.reason, bad.content) == (401, "Authentication failed!", b"")
    unknown = _get(pve_sim, "/version", f"PVEAPIToken=nobody@pve!x={token_of(pve_sim)}")
    assert unknown.status_code == 401


def test_space_separator_and_disabled_user(pve_sim: PVESimulator) -> None:
    spaced = f"PVEAPIToken capmox@pve!capi={token_of(pve_sim)}"
    assert _get(pve_sim, "/version", spaced).status_code == 200
    pve_sim.inventory.users["capmox@pve"].enable = False
    assert _get(pve_sim, "/version", _auth(pve_sim)).status_code == 401


def test_unknown_and_doubled_paths_are_501_after_auth(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/api2/json/version", _auth(pve_sim))
    assert r.status_code == 501
    assert r.reason == "Method 'GET /api2/json/version' not implemented"
    assert r.json() == {"data": None, "message": "Method 'GET /api2/json/version' not implemented"}
    assert _get(pve_sim, "/api2/json/version").status_code == 401


def test_403_message_shape(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/nodes/pve1/qemu/100/config", _auth(pve_sim))
    assert r.status_code == 403
    assert r.reason == "Permission check failed (/vms/100, VM.Audit)"
    assert r.json() == {"data": None, "message": "Permission check failed (/vms/100, VM.Audit)\n"}


def test_500_missing_config_and_595_offline_node(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/nodes/pve2/qemu/9000/config", _auth(pve_sim))
    assert r.status_code == 500
    assert r.json()["message"] == ("Configuration file 'nodes/pve2/qemu-server/9000.conf' does "
                                   "not exist\n")
    off = _get(pve_sim, "/nodes/pve3/status", _auth(pve_sim))
    assert (off.status_code, off.reason) == (595, "No route to host")


def test_400_parameter_verification(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/cluster/resources", _auth(pve_sim), type="qemu")
    assert r.status_code == 400
    assert r.json() == {"data": None, "message": "Parameter verification failed.\n",
                        "errors": {"type": "value 'qemu' does not have a value in the "
                                           "enumeration 'vm, storage, node, sdn'"}}
    taken = _get(pve_sim, "/cluster/nextid", _auth(pve_sim), vmid=9000)
    assert taken.json()["errors"] == {"vmid": "VM 9000 already exists"}
    assert _get(pve_sim, "/cluster/nextid", _auth(pve_sim)).json() == {"data": "101"}


def test_perl_typing_of_vm_listings(pve_sim: PVESimulator) -> None:
    root = pve_sim.add_token("root@pam", "all", privsep=False)
    auth = f"PVEAPIToken={root.token_id}={root.secret}"
    listing = {v["vmid"]: v for v in _get(pve_sim, "/nodes/pve1/qemu", auth).json()["data"]}
    assert listing[9000]["template"] == 1 and "template" not in listing[100]
    assert listing[9000]["tags"] == "k8s;ubuntu"
    res = {v["vmid"]: v for v in _get(pve_sim, "/cluster/resources", auth, type="vm").json()["data"]}
    assert res[100]["template"] == 0 and res[200]["type"] == "lxc"
    cfg = _get(pve_sim, "/nodes/pve1/qemu/9000/config", auth).json()["data"]
    assert cfg["memory"] == "2048" and cfg["cores"] == 2 and cfg["template"] == 1
    assert cfg["agent"] == "1" and len(cfg["digest"]) == 40


def test_filtering_hides_items_without_privileges(pve_sim: PVESimulator) -> None:
    auth = _auth(pve_sim)
    vms = {v["vmid"] for v in _get(pve_sim, "/cluster/resources", auth, type="vm").json()["data"]}
    assert vms == {9000, 9001}  # only the templates pool is visible
    # AllocateSpace alone: visible per node, absent from /cluster/resources
    stores = {s["storage"] for s in _get(pve_sim, "/nodes/pve1/storage", auth).json()["data"]}
    assert stores == {"local", "ceph"}
    cluster = _get(pve_sim, "/cluster/resources", auth, type="storage").json()["data"]
    assert {s["storage"] for s in cluster} == {"local"}
    bridges = _get(pve_sim, "/nodes/pve1/network", auth, type="any_bridge").json()["data"]
    assert [b["iface"] for b in bridges] == ["vmbr0"]  # vmbr1 has no SDN ACL
    assert _get(pve_sim, "/pools", auth).json() == {"data": []}


def test_acl_propagation_and_privsep(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    nopro = pve_sim.add_token("ops@pve", "t", user_acls=[("/nodes", "PVEAuditor")],
                              acls=[("/nodes", "PVEAuditor")], propagate=False)
    perm = _get(pve_sim, "/access/permissions", f"PVEAPIToken={nopro.token_id}={nopro.secret}",
                path="/nodes/pve1").json()
    assert perm == {"data": {"/nodes/pve1": {}}}  # PVE answers {path: {}}, not {}
    # privsep=1: the token's own ACL alone is not enough ...
    sep = pve_sim.add_token("dev@pve", "sep", acls=[("/", "PVEAuditor")])
    auth = f"PVEAPIToken={sep.token_id}={sep.secret}"
    assert _get(pve_sim, "/access/permissions", auth, path="/nodes/pve1").json() == {"data": {"/nodes/pve1": {}}}
    # ... it is intersected with the user's
    inv.grant("/", "PVEAuditor", "dev@pve")
    data = _get(pve_sim, "/access/permissions", auth, path="/nodes/pve1").json()["data"]
    assert data["/nodes/pve1"]["Sys.Audit"] == 1
    # privsep=0 inherits the user's privileges without token ACLs
    full = pve_sim.add_token("dev@pve", "full", privsep=False)
    data = _get(pve_sim, "/access/permissions", f"PVEAPIToken={full.token_id}={full.secret}",
                path="/storage/ceph").json()["data"]
    assert "Datastore.Audit" in data["/storage/ceph"]
    # a more specific ACL replaces the inherited one; NoAccess wins
    inv.grant("/nodes/pve2", "NoAccess", "dev@pve")
    assert _get(pve_sim, "/access/permissions", auth, path="/nodes/pve2").json() == {"data": {"/nodes/pve2": {}}}


def test_pool_acl_applies_to_members(pve_sim: PVESimulator) -> None:
    auth = _auth(pve_sim)
    data = _get(pve_sim, "/access/permissions", auth, path="/vms/9000").json()["data"]
    assert data == {"/vms/9000": {"VM.Audit": 0, "VM.Clone": 0}}
    full = _get(pve_sim, "/access/permissions", auth).json()["data"]
    assert full["/nodes"] == {"Sys.Audit": 1} and "/vms/9001" in full


def test_pve8_roles_have_vm_monitor(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.version = "8.4.1"
    data = _get(pve_sim, "/access/permissions", _auth(pve_sim), path="/pool/capi").json()["data"]
    assert "VM.Monitor" in data["/pool/capi"]
    assert not any(p.startswith("VM.GuestAgent") for p in data["/pool/capi"])


def test_request_log_records_calls_without_secret(pve_sim: PVESimulator) -> None:
    _get(pve_sim, "/nodes", _auth(pve_sim))
    _get(pve_sim, "/version")
    assert [(r.method, r.path, r.status) for r in pve_sim.calls()] == [
        ("GET", "/nodes", 200), ("GET", "/version", 401)]
    assert pve_sim.calls(path="/nodes")[0].auth_id == "capmox@pve!capi"
    assert token_of(pve_sim) not in json.dumps([r.__dict__ for r in pve_sim.calls()])


# -- issue 11: as strict and as lenient as PVE 9 -------------------------------------------------

def _root(sim: PVESimulator) -> str:
    sim.inventory.users["root@pam"].tokens.clear()
    return _auth(sim, sim.add_token("root@pam", "all", privsep=False).token_id)


def test_cluster_resources_list_vm_ids_sorted_as_text(pve_sim: PVESimulator) -> None:
    """Cluster.pm walks ``sort keys %$idlist``: 10000 comes before 9000 (CAPMOX's order)."""
    from tests.proxmox_sim import SimVM

    pve_sim.inventory.vms.append(SimVM(10000, "pve1", "late", template=True, tags=["k8s"]))
    data = _get(pve_sim, "/cluster/resources", _root(pve_sim), type="vm").json()["data"]
    assert [d["vmid"] for d in data] == [100, 10000, 200, 9000, 9001]


def test_vm_config_key_order_varies(pve_sim: PVESimulator) -> None:
    auth = _auth(pve_sim)
    orders = {tuple(_get(pve_sim, "/nodes/pve1/qemu/9000/config", auth).json()["data"]) for _ in range(5)}
    assert len(orders) > 1
    assert all(set(o) == set(next(iter(orders))) for o in orders)


def test_node_status_unknown_still_answers_offline_does_not(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.node("pve2").status = "unknown"  # type: ignore[union-attr]
    nodes = {n["node"]: n for n in _get(pve_sim, "/nodes", _auth(pve_sim)).json()["data"]}
    assert nodes["pve2"]["status"] == "unknown" and "maxmem" in nodes["pve2"]
    assert _get(pve_sim, "/nodes/pve2/status", _auth(pve_sim)).status_code == 200
    assert _get(pve_sim, "/nodes/pve3/status", _auth(pve_sim)).status_code == 595


def test_nextid_vmid_minimum_is_100(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/cluster/nextid", _auth(pve_sim), vmid="99")
    assert r.status_code == 400
    assert r.json()["errors"] == {"vmid": "value must have a minimum value of 100"}
    assert _get(pve_sim, "/cluster/nextid", _auth(pve_sim), vmid="101").json() == {"data": "101"}


def test_401_is_delayed_3_seconds_when_on(pve_tls: Any) -> None:
    """pveproxy waits ~3 s before answering a failed login (the fixture turns this off)."""
    import time

    from tests.proxmox_sim import PVESimulator as Sim
    from tests.proxmox_sim import standard_inventory

    with Sim(standard_inventory(), pve_tls) as sim:
        assert sim.auth_failure_delay == 3.0
        start = time.monotonic()
        assert _get(sim, "/version", "PVEAPIToken=capmox@pve!capi=wrong").status_code == 401
        assert time.monotonic() - start >= 2.9
        start = time.monotonic()
        assert _get(sim, "/version", _auth(sim)).status_code == 200
        assert time.monotonic() - start < 2.9


def test_pools_with_poolid_does_not_need_pool_audit(pve_sim: PVESimulator) -> None:
    auth = _auth(pve_sim)
    assert _get(pve_sim, "/pools", auth).json() == {"data": []}  # the list still filters
    one = _get(pve_sim, "/pools", auth, poolid="capi")
    assert one.status_code == 200 and one.json()["data"][0]["poolid"] == "capi"
    assert _get(pve_sim, "/pools/capi", auth).status_code == 403  # the deprecated form checks
    assert _get(pve_sim, "/pools", auth, poolid="nope").status_code == 500
    pve_sim.inventory.version = "8.0.4"
    old = _get(pve_sim, "/pools", auth, poolid="capi")
    assert old.status_code == 400 and "poolid" in old.json()["errors"]


def test_pve9_privilege_groups() -> None:
    from tests.proxmox_sim import builtin_roles

    roles = builtin_roles(9)
    assert {"VM.GuestAgent.FileRead", "VM.GuestAgent.FileWrite", "VM.GuestAgent.FileSystemMgmt"} <= roles["PVEVMUser"]
    assert "VM.GuestAgent.Unrestricted" not in roles["PVEVMUser"]
    assert "VM.GuestAgent.Audit" in roles["PVEAuditor"]
    assert "Mapping.Modify" not in roles["PVEAdmin"] and "Mapping.Modify" in roles["PVEMappingAdmin"]
    assert "Permissions.Modify" in roles["Administrator"] and "Permissions.Modify" not in roles["PVEAdmin"]
    assert not any(p.startswith("VM.GuestAgent") for p in builtin_roles(8)["PVEAuditor"])


def test_bridge_visible_through_a_vlan_acl(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    creds = pve_sim.add_token("net@pve", "t", acls=[("/sdn/zones/localnetwork/vmbr1/20", "PVESDNUser")],
                              user_acls=[("/sdn/zones/localnetwork/vmbr1/20", "PVESDNUser")])
    auth = f"PVEAPIToken={creds.token_id}={creds.secret}"
    names = [i["iface"] for i in _get(pve_sim, "/nodes/pve1/network", auth, type="any_bridge").json()["data"]]
    assert names == ["vmbr1"]
    inv.acls = [a for a in inv.acls if a.ugid not in ("net@pve", creds.token_id)]
    assert _get(pve_sim, "/nodes/pve1/network", auth, type="any_bridge").json()["data"] == []


def test_vnets_are_listed_as_bridges_with_their_zone_rights(pve_sim: PVESimulator) -> None:
    from tests.proxmox_sim import SimVnet

    inv = pve_sim.inventory
    inv.vnets.append(SimVnet("vnet1", "zone1"))
    auth = _auth(pve_sim)
    assert "vnet1" not in {i["iface"] for i in _get(pve_sim, "/nodes/pve1/network", auth,
                                                     type="any_bridge").json()["data"]}  # fmt: skip
    for who in ("capmox@pve!capi", "capmox@pve"):
        inv.grant("/sdn/zones/zone1/vnet1", "PVESDNUser", who)
    listed = {i["iface"]: i for i in _get(pve_sim, "/nodes/pve1/network", auth, type="any_bridge").json()["data"]}
    assert listed["vnet1"] == {"iface": "vnet1", "type": "vnet", "active": "1", "ipam": 0, "vlanaware": 0}
    assert "vnet1" not in {i["iface"] for i in _get(pve_sim, "/nodes/pve1/network", auth,
                                                     type="bridge").json()["data"]}  # fmt: skip
    assert [v["zone"] for v in _get(pve_sim, "/cluster/sdn/vnets", auth).json()["data"]] == ["zone1"]


def test_permissions_of_a_path_without_privileges(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/access/permissions", _auth(pve_sim), path="/vms/100")
    assert r.json() == {"data": {"/vms/100": {}}}


def test_pool_roles_do_not_propagate_and_pool_noaccess_wins(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    auth = _auth(pve_sim)

    def privs(path: str) -> dict[str, int]:
        return dict(_get(pve_sim, "/access/permissions", auth, path=path).json()["data"][path])

    inv.grant("/pool/templates", "PVETemplateUser", "capmox@pve!capi", propagate=True)
    inv.grant("/pool/templates", "PVETemplateUser", "capmox@pve", propagate=True)
    assert privs("/vms/9000") == {"VM.Clone": 0, "VM.Audit": 0}  # pool-derived: never propagated
    inv.grant("/vms", "PVEAuditor", "capmox@pve!capi")
    inv.grant("/vms", "PVEAuditor", "capmox@pve")
    assert "VM.GuestAgent.Audit" in privs("/vms/9000")  # inherited /vms plus the pool's roles
    inv.grant("/pool/templates", "NoAccess", "capmox@pve")
    assert privs("/vms/9000") == {}  # NoAccess on the pool beats the /vms grant
    inv.revoke("/pool/templates", "capmox@pve")
    inv.grant("/pool/templates", "PVETemplateUser", "capmox@pve")
    inv.grant("/vms/9000", "NoAccess", "capmox@pve")
    assert privs("/vms/9000") == {}  # NoAccess on the path keeps the pool out
