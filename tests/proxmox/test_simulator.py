"""The simulator answers like PVE: status codes, envelopes, filtering and ACL inheritance."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.proxmox.conftest import token_of
from tests.proxmox_sim import PVESimulator


def _get(sim: PVESimulator, path: str, auth: str | None = None, /, **params: Any) -> requests.Response:
    headers = {"Authorization": auth} if auth is not None else {}
    return requests.get(
        f"{sim.url}/api2/json{path}", params=params, headers=headers, verify=str(sim.ca_path), timeout=5
    )


def _auth(sim: PVESimulator, token_id: str = "capmox@pve!capi") -> str:
    return f"PVEAPIToken={token_id}={token_of(sim, token_id)}"


def test_version_envelope_and_content_type(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/version", _auth(pve_sim))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert r.json() == {"data": {"version": "9.2.11", "release": "9.2", "repoid": "14a22df3a1b2c3d4"}}


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
    assert r.json()["message"] == ("Configuration file 'nodes/pve2/qemu-server/9000.conf' does not exist\n")
    off = _get(pve_sim, "/nodes/pve3/status", _auth(pve_sim))
    assert (off.status_code, off.reason) == (595, "No route to host")


def test_400_parameter_verification(pve_sim: PVESimulator) -> None:
    r = _get(pve_sim, "/cluster/resources", _auth(pve_sim), type="qemu")
    assert r.status_code == 400
    assert r.json() == {
        "data": None,
        "message": "Parameter verification failed.\n",
        "errors": {"type": "value 'qemu' does not have a value in the enumeration 'vm, storage, node, sdn'"},
    }
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
    nopro = pve_sim.add_token(
        "ops@pve", "t", user_acls=[("/nodes", "PVEAuditor")], acls=[("/nodes", "PVEAuditor")], propagate=False
    )
    perm = _get(
        pve_sim, "/access/permissions", f"PVEAPIToken={nopro.token_id}={nopro.secret}", path="/nodes/pve1"
    ).json()
    assert perm == {"data": {}}
    # privsep=1: the token's own ACL alone is not enough ...
    sep = pve_sim.add_token("dev@pve", "sep", acls=[("/", "PVEAuditor")])
    auth = f"PVEAPIToken={sep.token_id}={sep.secret}"
    assert _get(pve_sim, "/access/permissions", auth, path="/nodes/pve1").json() == {"data": {}}
    # ... it is intersected with the user's
    inv.grant("/", "PVEAuditor", "dev@pve")
    data = _get(pve_sim, "/access/permissions", auth, path="/nodes/pve1").json()["data"]
    assert data["/nodes/pve1"]["Sys.Audit"] == 1
    # privsep=0 inherits the user's privileges without token ACLs
    full = pve_sim.add_token("dev@pve", "full", privsep=False)
    data = _get(
        pve_sim, "/access/permissions", f"PVEAPIToken={full.token_id}={full.secret}", path="/storage/ceph"
    ).json()["data"]
    assert "Datastore.Audit" in data["/storage/ceph"]
    # a more specific ACL replaces the inherited one; NoAccess wins
    inv.grant("/nodes/pve2", "NoAccess", "dev@pve")
    assert _get(pve_sim, "/access/permissions", auth, path="/nodes/pve2").json() == {"data": {}}


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
    assert [(r.method, r.path, r.status) for r in pve_sim.calls()] == [("GET", "/nodes", 200), ("GET", "/version", 401)]
    assert pve_sim.calls(path="/nodes")[0].auth_id == "capmox@pve!capi"
    assert token_of(pve_sim) not in json.dumps([r.__dict__ for r in pve_sim.calls()])
