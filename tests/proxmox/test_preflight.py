"""Every preflight check passes on a healthy cluster and fails (word for word) on a broken one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from capi_kamaji_proxmox.proxmox.client import ProxmoxClient
from capi_kamaji_proxmox.proxmox.preflight import CheckResult, format_results, run_proxmox_checks
from capi_kamaji_proxmox.proxmox.requirements import (
    IPRange,
    NetworkNeeds,
    PoolNeeds,
    ProxmoxRequirements,
    usable_addresses,
)
from tests.proxmox.conftest import token_of
from tests.proxmox_sim import Inventory, PVESimulator

TOKEN = "capmox@pve!capi"
POOL = PoolNeeds(
    "workers",
    max_machines=5,
    memory_mib=8192,
    cores=4,
    disk_gb=40,
    template_tags=("k8s", "ubuntu"),
    storage="ceph",
    networks=(NetworkNeeds("vmbr0"),),
    resource_pool="capi",
)


def make_req(
    nodes: tuple[str, ...] = ("pve1", "pve2"), ranges: tuple[str, ...] = ("10.0.0.10-10.0.0.30",), **pool: object
) -> ProxmoxRequirements:
    return ProxmoxRequirements(
        allowed_nodes=nodes,
        pools=(replace(POOL, **pool),),  # type: ignore[arg-type]
        ip_ranges=tuple(IPRange.parse(r) for r in ranges),
        gateway="10.0.0.1",
    )


def run(
    sim: PVESimulator, req: ProxmoxRequirements, token: str = TOKEN, url: str | None = None
) -> dict[str, CheckResult]:
    client = ProxmoxClient(url or sim.url, token, token_of(sim, token), ca_file=sim.ca_path)
    results = run_proxmox_checks(client, req)
    return {r.name: r for r in results}


def grant_both(inv: Inventory, path: str, role: str) -> None:
    """Grant to the token and its user (the token has privilege separation)."""
    inv.grant(path, role, TOKEN)
    inv.grant(path, role, "capmox@pve")


def test_healthy_cluster_passes_every_check(pve_sim: PVESimulator) -> None:
    client = ProxmoxClient(pve_sim.url, TOKEN, token_of(pve_sim), ca_file=pve_sim.ca_path)
    results = run_proxmox_checks(client, make_req())
    assert format_results(results) == "\n".join(
        [
            f"PASS  api-access: PVE 9.2.11 at {pve_sim.url}, token capmox@pve!capi",
            "PASS  privileges: token capmox@pve!capi holds the 18 privileges CAPMOX needs on 7 paths (PVE 9)",
            "PASS  nodes: pve1, pve2 online",
            'PASS  template[workers]: template 9000 "ubuntu-2404-k8s" on pve1 (tags "k8s;ubuntu", matchPolicy exact)',
            'PASS  guest-agent[workers]: template 9000 "ubuntu-2404-k8s" on pve1 has the QEMU guest agent enabled',
            "PASS  storage[ceph]: shared, images, 1536 GiB free for 240 GiB (workers 6 x 40 GiB)",
            "PASS  bridge[vmbr0]: present and active on pve1, pve2",
            "PASS  resource-pool[capi]: the token holds privileges on /pool/capi (it cannot list "
            "pools without Pool.Audit)",
            "PASS  capacity: pools at maximum size need 48 GiB memory and 24 vCPUs; allowed nodes can "
            "reserve 192 GiB (pve1 64 GiB, pve2 128 GiB) and have 48 CPUs",
            "PASS  ip-addresses: 10.0.0.10-10.0.0.30 hold 21 usable addresses for 6 (workers 5+1)",
        ]
    )


def test_each_api_call_is_made_once(pve_sim: PVESimulator) -> None:
    run(pve_sim, make_req())
    seen = [(r.path, tuple(sorted(r.query.items()))) for r in pve_sim.calls()]
    assert len(seen) == len(set(seen))
    assert all(r.status == 200 or r.path == "/pools" for r in pve_sim.calls())
    assert ("/cluster/resources", (("type", "vm"),)) in seen


# -- api-access --------------------------------------------------------------------------------


def test_api_access_fails_alone_on_bad_secret(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.users["capmox@pve"].tokens["capi"].secret = "rotated-" + "0" * 28
    client = ProxmoxClient(pve_sim.url, TOKEN, "11111111-2222-4333-8444-555555555555", ca_file=pve_sim.ca_path)
    results = run_proxmox_checks(client, make_req())
    assert [r.line() for r in results] == [
        f"FAIL  api-access: Proxmox at {pve_sim.url} rejected API token capmox@pve!capi (401 "
        "Authentication failed!) -> The token id or secret is wrong, or the user or token is "
        "disabled or expired; check both under Datacenter > Permissions > API Tokens"
    ]


def test_api_access_warns_about_api2_json_suffix(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(), url=pve_sim.url + "/api2/json")
    assert res["api-access"].line() == (
        f"WARN  api-access: PVE 9.2.11 at {pve_sim.url}, token capmox@pve!capi; the URL ended in "
        f"/api2/json -> use {pve_sim.url} (CAPMOX appends /api2/json itself)"
    )
    assert res["privileges"].status == "pass"


# -- privileges ----------------------------------------------------------------------------------


def test_privileges_fail_lists_missing_privileges_and_commands(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.revoke("/sdn/zones/localnetwork/vmbr0", TOKEN)
    pve_sim.inventory.revoke("/nodes", TOKEN)
    res = run(pve_sim, make_req())
    assert res["privileges"].line() == (
        "FAIL  privileges: token capmox@pve!capi lacks Sys.Audit on /nodes/pve1; Sys.Audit on "
        "/nodes/pve2; SDN.Use on /sdn/zones/localnetwork/vmbr0 -> pveum acl modify /nodes/pve1 "
        "--tokens 'capmox@pve!capi' --roles PVEAuditor; pveum acl modify /nodes/pve2 --tokens "
        "'capmox@pve!capi' --roles PVEAuditor; pveum acl modify /sdn/zones/localnetwork/vmbr0 "
        "--tokens 'capmox@pve!capi' --roles PVESDNUser (with privilege separation grant the same "
        "to capmox@pve)"
    )


def test_privsep_token_limited_by_its_user(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.revoke("/pool/capi", "capmox@pve")  # the token keeps its own ACL
    res = run(pve_sim, make_req())
    assert res["privileges"].status == "fail"
    assert res["privileges"].found.startswith("token capmox@pve!capi lacks VM.Allocate, VM.Audit")
    assert "on /pool/capi" in res["privileges"].found


def test_privileges_without_resource_pool_need_vms(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(resource_pool=None))
    assert res["privileges"].status == "fail"
    assert res["privileges"].found.endswith("VM.PowerMgmt on /vms")
    grant_both(pve_sim.inventory, "/vms", "PVEVMAdmin")
    assert run(pve_sim, make_req(resource_pool=None))["privileges"].status == "pass"


def test_pve8_needs_vm_monitor_not_guest_agent(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    inv.version = "8.4.1"
    assert run(pve_sim, make_req())["privileges"].status == "pass"
    vm_admin_8 = {
        "VM.Allocate",
        "VM.Audit",
        "VM.Config.CDROM",
        "VM.Config.CPU",
        "VM.Config.Disk",
        "VM.Config.Memory",
        "VM.Config.Network",
        "VM.Config.Options",
        "VM.PowerMgmt",
    }
    inv.custom_roles["CapiNoMonitor"] = frozenset(vm_admin_8)
    for ugid in (TOKEN, "capmox@pve"):
        inv.revoke("/pool/capi", ugid)
        inv.grant("/pool/capi", "CapiNoMonitor", ugid, propagate=False)
    res = run(pve_sim, make_req())
    assert res["privileges"].found == "token capmox@pve!capi lacks VM.Monitor on /pool/capi"
    skip = run(pve_sim, make_req(skip_guest_agent=True))
    assert skip["privileges"].status == "pass"


# -- nodes -----------------------------------------------------------------------------------------


def test_nodes_fail_unknown_and_offline(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(nodes=("pve1", "pve3", "pve9")))
    assert res["nodes"].line() == (
        "FAIL  nodes: pve9 not in the cluster; pve3 not online (cluster: pve1 online, pve2 "
        "online, pve3 offline) -> correct allowedNodes; bring pve3 online or remove it from "
        "allowedNodes"
    )


# -- template --------------------------------------------------------------------------------------


def test_template_fail_no_match(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(template_tags=("debian",)))
    assert res["template[workers]"].line() == (
        'FAIL  template[workers]: no template matches tags "debian" (matchPolicy exact); tagged '
        'templates visible: 9000 "k8s;ubuntu", 9001 "k8s;ubuntu;v1-31" -> tag exactly one '
        "template with debian (qm set <vmid> --tags ...) or adjust "
        "templateSelector.matchTags/matchPolicy"
    )
    assert res["guest-agent[workers]"].status == "warn"


def test_template_fail_ambiguous_unique_subset(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(template_tags=("K8s",), match_policy="uniqueSubset"))
    assert res["template[workers]"].found == (
        '2 templates match tags "k8s" (matchPolicy uniqueSubset): 9000 on pve1, 9001 on pve2'
    )


def test_template_best_subset_picks_fewest_extra_tags(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(template_tags=("k8s",), match_policy="bestSubset"))
    assert res["template[workers]"].found == (
        'template 9000 "ubuntu-2404-k8s" on pve1 (tags "k8s", matchPolicy bestSubset)'
    )
    # a tie between equally good candidates is ambiguous
    pve_sim.inventory.vm(9001).tags = ["k8s", "debian"]  # type: ignore[union-attr]
    res = run(pve_sim, make_req(template_tags=("k8s",), match_policy="bestSubset"))
    assert res["template[workers]"].status == "fail"


def test_template_exact_ignores_non_templates_and_vms_without_rrd(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    inv.vm(9001).tags = ["k8s", "ubuntu"]  # type: ignore[union-attr]
    inv.vm(9001).has_rrd = False  # type: ignore[union-attr]  # shows no 'template' field
    assert run(pve_sim, make_req())["template[workers]"].status == "pass"
    inv.vm(9001).has_rrd = True  # type: ignore[union-attr]
    assert run(pve_sim, make_req())["template[workers]"].status == "fail"


def test_template_id_on_source_node(pve_sim: PVESimulator) -> None:
    ok = run(pve_sim, make_req(template_tags=(), template_id=9001, source_node="pve2"))
    assert ok["template[workers]"].found == ('template 9001 "ubuntu-2404-k8s-v131" on pve2 (templateID 9001)')
    bad = run(pve_sim, make_req(template_tags=(), template_id=9000, source_node="pve2"))
    assert bad["template[workers]"].line() == (
        "FAIL  template[workers]: VM 9000 does not exist on node pve2; it is on pve1 -> set sourceNode to pve1"
    )


def test_template_id_not_a_template(pve_sim: PVESimulator) -> None:
    grant_both(pve_sim.inventory, "/vms/100", "PVEAuditor")
    res = run(pve_sim, make_req(template_tags=(), template_id=100, source_node="pve1"))
    assert res["template[workers]"].line() == (
        'FAIL  template[workers]: VM 100 "db01" on pve1 is not a template -> convert it with '
        "'qm template 100' or point templateID at a template"
    )


def test_template_id_invisible_without_vm_audit(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(template_tags=(), template_id=100, source_node="pve1"))
    assert res["template[workers]"].line() == (
        "FAIL  template[workers]: cannot read VM 100 on pve1: the token lacks VM.Audit on "
        "/vms/100 -> grant PVETemplateUser on /vms/100 or on its pool"
    )


def test_template_on_local_storage_cannot_reach_other_nodes(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    inv.vm(9000).storage = "local-lvm"  # type: ignore[union-attr]
    grant_both(inv, "/storage/local-lvm", "Datastore.AllocateSpace")
    res = run(pve_sim, make_req(storage=None))
    assert res["template[workers]"].line() == (
        'FAIL  template[workers]: template 9000 "ubuntu-2404-k8s" on pve1 (tags "k8s;ubuntu", '
        "matchPolicy exact): its disks are on local storage local-lvm, so it cannot be cloned "
        "to pve2 -> move the template disks to shared storage or limit allowedNodes to pve1"
    )
    assert run(pve_sim, make_req(nodes=("pve1",), storage=None))["template[workers]"].status == "pass"


def test_template_on_offline_node(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.vm(9001).node = "pve3"  # type: ignore[union-attr]
    res = run(pve_sim, make_req(nodes=("pve3",), template_tags=(), template_id=9001, source_node="pve3"))
    # the node cannot answer: the config read is proxied to it
    assert res["template[workers]"].status == "fail"
    assert "595 No route to host" in res["template[workers]"].found


# -- guest agent ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "ok"),
    [("1", True), ("enabled=1,fstrim_cloned_disks=1", True), ("0", False), ("enabled=0", False), (None, False)],
)
def test_guest_agent_settings(pve_sim: PVESimulator, agent: str | None, ok: bool) -> None:
    pve_sim.inventory.vm(9000).agent = agent  # type: ignore[union-attr]
    res = run(pve_sim, make_req())["guest-agent[workers]"]
    assert res.status == ("pass" if ok else "fail")


def test_guest_agent_fail_text_and_skip(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.vm(9000).agent = "0"  # type: ignore[union-attr]
    res = run(pve_sim, make_req())
    assert res["guest-agent[workers]"].line() == (
        'FAIL  guest-agent[workers]: template 9000 "ubuntu-2404-k8s" on pve1 has the QEMU guest '
        "agent disabled (agent: 0) -> run 'qm set 9000 --agent enabled=1' and install "
        "qemu-guest-agent in the image, or skip the guest agent check for OSes without one"
    )
    skipped = run(pve_sim, make_req(skip_guest_agent=True))["guest-agent[workers]"]
    assert (skipped.status, skipped.found) == ("pass", "not required (guest agent checks are skipped)")


# -- storage -------------------------------------------------------------------------------------


def test_storage_without_images(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(storage="local"))
    assert res["storage[local]"].line() == (
        "FAIL  storage[local]: does not hold disk images (content: iso,vztmpl,backup,snippets) on "
        "pve1, pve2 -> enable local with content 'images' on pve1, pve2, or pick another "
        "storage; the token needs Datastore.AllocateSpace on /storage/local to see it"
    )


def test_storage_disabled_inactive_and_missing(pve_sim: PVESimulator) -> None:
    inv = pve_sim.inventory
    ceph = inv.storage("ceph")
    assert ceph is not None
    ceph.nodes = ["pve1"]
    assert run(pve_sim, make_req())["storage[ceph]"].found == "disabled on pve2"
    ceph.nodes = None
    ceph.inactive_on = {"pve1"}
    assert run(pve_sim, make_req())["storage[ceph]"].found == "not active on pve1"
    res = run(pve_sim, make_req(storage="nfs-fast"))
    assert res["storage[nfs-fast]"].found == "not visible on pve1, pve2"


def test_storage_space_warning(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(disk_gb=300))
    assert res["storage[ceph]"].line() == (
        "WARN  storage[ceph]: pools at maximum size need 1800 GiB (workers 6 x 300 GiB) but ceph "
        "(shared) has 1536 GiB free -> free space, pick a larger storage, or rely on thin "
        "provisioning knowingly"
    )


def test_local_storage_space_is_summed_over_nodes(pve_sim: PVESimulator) -> None:
    grant_both(pve_sim.inventory, "/storage/local-lvm", "Datastore.AllocateSpace")
    res = run(pve_sim, make_req(storage="local-lvm", disk_gb=100))
    assert res["storage[local-lvm]"].found == ("local, images, 800 GiB free for 600 GiB (workers 6 x 100 GiB)")


# -- bridges -------------------------------------------------------------------------------------


def test_bridge_missing_on_one_node(pve_sim: PVESimulator) -> None:
    grant_both(pve_sim.inventory, "/sdn/zones/localnetwork/vmbr1", "PVESDNUser")
    res = run(pve_sim, make_req(networks=(NetworkNeeds("vmbr1"),)))
    assert res["bridge[vmbr1]"].line() == (
        "FAIL  bridge[vmbr1]: missing on pve2 -> create vmbr1 on every allowed node (System > "
        "Network) and apply the config"
    )
    assert res["privileges"].status == "pass"


def test_bridge_hidden_without_sdn_rights(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.revoke("/sdn/zones/localnetwork/vmbr0", TOKEN)
    res = run(pve_sim, make_req())
    assert res["bridge[vmbr0]"].line() == (
        "FAIL  bridge[vmbr0]: missing on pve1, pve2 -> grant the token SDN.Use on "
        "/sdn/zones/localnetwork/vmbr0 (PVESDNUser); without it bridges are hidden. Otherwise "
        "create vmbr0 on every allowed node (System > Network) and apply the config"
    )


def test_bridge_inactive(pve_sim: PVESimulator) -> None:
    pve_sim.inventory.networks["pve2"][1].active = False
    assert run(pve_sim, make_req())["bridge[vmbr0]"].found == "not active on pve2"


def test_vlan_needs_sdn_use_on_vlan_path_without_propagation(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(networks=(NetworkNeeds("vmbr0", vlan=20),)))
    assert res["privileges"].found == ("token capmox@pve!capi lacks SDN.Use on /sdn/zones/localnetwork/vmbr0/20")


# -- resource pool -------------------------------------------------------------------------------


def test_resource_pool_missing(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(resource_pool="nope"))
    assert res["resource-pool[nope]"].line() == (
        "FAIL  resource-pool[nope]: pool nope does not exist or is invisible to the token -> "
        "create it: pveum pool add nope; then grant PVEVMAdmin on /pool/nope"
    )


def test_resource_pool_listed_with_pool_audit(pve_sim: PVESimulator) -> None:
    grant_both(pve_sim.inventory, "/pool/capi", "PVEPoolUser")
    res = run(pve_sim, make_req())
    assert res["resource-pool[capi]"].found == "pool capi exists"
    grant_both(pve_sim.inventory, "/pool/ghost", "PVEPoolUser")
    assert run(pve_sim, make_req(resource_pool="ghost"))["resource-pool[ghost]"].status == "fail"


# -- capacity ------------------------------------------------------------------------------------


def test_capacity_fail_vm_larger_than_any_node(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(memory_mib=200 * 1024))
    assert res["capacity"].line() == (
        "FAIL  capacity: a workers VM needs 200 GiB but the most any allowed node can reserve is "
        "128 GiB (pve2) -> use smaller VMs or allow larger nodes"
    )


def test_capacity_fail_too_many_vcpus(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(cores=40))
    assert res["capacity"].found == ("a workers VM has 40 vCPUs but the largest allowed node (pve2) has 32 CPUs")


def test_capacity_warn_with_numbers(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(max_machines=30, ranges=("10.0.0.0/24",)))
    assert res["capacity"].line() == (
        "WARN  capacity: pools at maximum size need 248 GiB memory and 124 vCPUs; allowed nodes "
        "can reserve 192 GiB (pve1 64 GiB, pve2 128 GiB) and have 48 CPUs; 7 of 31 VMs would not "
        "fit; vCPUs exceed host CPUs -> lower maximum sizes, add nodes, or raise "
        "schedulerHints.memoryAdjustment above 100 to overcommit memory deliberately"
    )


def test_capacity_counts_visible_guests_and_adjustment(pve_sim: PVESimulator) -> None:
    grant_both(pve_sim.inventory, "/vms", "PVEAuditor")  # now VM 100 and CT 200 are counted
    req = replace(make_req(), memory_adjustment=50)
    res = run(pve_sim, req)
    assert "allowed nodes can reserve 76 GiB (pve1 16 GiB, pve2 60 GiB)" in res["capacity"].found


# -- IP addresses --------------------------------------------------------------------------------


def test_ip_addresses_fail(pve_sim: PVESimulator) -> None:
    res = run(pve_sim, make_req(max_machines=30))
    assert res["ip-addresses"].line() == (
        "FAIL  ip-addresses: 10.0.0.10-10.0.0.30 hold 21 usable addresses; pools at maximum size "
        "plus surge need 31 (workers 30+1) -> add at least 10 addresses to the ranges or lower "
        "maxSize/maxSurge"
    )


@pytest.mark.parametrize(
    ("ranges", "gateway", "count"),
    [
        (("10.0.0.0/24",), "10.0.0.1", 253),
        (("10.0.0.10-10.0.0.20", "10.0.0.15-10.0.0.25"), None, 16),
        (("10.0.0.10-10.0.0.20", "10.0.0.21"), "10.0.0.15", 11),
        (("10.0.0.8/31",), None, 2),
        (("fd00::1-fd00::10",), "fd00::1", 15),
    ],
)
def test_usable_addresses(ranges: tuple[str, ...], gateway: str | None, count: int) -> None:
    assert usable_addresses(tuple(IPRange.parse(r) for r in ranges), gateway) == count


def test_ip_range_parse_errors() -> None:
    with pytest.raises(ValueError, match="the end comes before the start"):
        IPRange.parse("10.0.0.20-10.0.0.10")
    with pytest.raises(ValueError, match="invalid IP range 'x'"):
        IPRange.parse("x")


# -- several pools ---------------------------------------------------------------------------------


def test_two_pools_share_storage_and_addresses(pve_sim: PVESimulator) -> None:
    gpu = replace(
        POOL, name="gpu", max_machines=2, max_surge=0, memory_mib=32768, cores=16, disk_gb=100, allowed_nodes=("pve2",)
    )
    req = ProxmoxRequirements(
        allowed_nodes=("pve1", "pve2"), pools=(POOL, gpu), ip_ranges=(IPRange.parse("10.0.0.10-10.0.0.16"),)
    )
    res = run(pve_sim, req)
    assert res["storage[ceph]"].found == (
        "shared, images, 1536 GiB free for 440 GiB (workers 6 x 40 GiB, gpu 2 x 100 GiB)"
    )
    assert res["ip-addresses"].line() == (
        "FAIL  ip-addresses: 10.0.0.10-10.0.0.16 hold 7 usable addresses; pools at maximum size "
        "plus surge need 8 (workers 5+1, gpu 2+0) -> add at least 1 addresses to the ranges or "
        "lower maxSize/maxSurge"
    )
    assert [r for r in res if r.startswith("template[")] == ["template[workers]", "template[gpu]"]


# -- vmid-range --------------------------------------------------------------------------------


def test_vmid_range_with_room_passes(pve_sim: PVESimulator) -> None:
    results = run(pve_sim, make_req(vm_id_range=(5000, 5099)))
    assert results["vmid-range[workers]"].line() == (
        "PASS  vmid-range[workers]: 5000-5099 has 100 free VM id(s) for up to 6 VM(s) "
        "(as far as the token can see guests)"
    )


def test_vmid_range_too_small_fails_word_for_word(pve_sim: PVESimulator) -> None:
    # The standard inventory has template 9000 and 9001 inside this range.
    results = run(pve_sim, make_req(vm_id_range=(8998, 9003)))
    assert results["vmid-range[workers]"].line() == (
        "FAIL  vmid-range[workers]: 8998-9003 has 4 free VM id(s) for up to 6 VM(s); in use: 9000, 9001 "
        "-> widen vmIDRange to at least 8 ids or free some"
    )


def test_no_vmid_range_no_check(pve_sim: PVESimulator) -> None:
    assert not any(name.startswith("vmid-range") for name in run(pve_sim, make_req()))
