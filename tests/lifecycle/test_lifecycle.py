"""install -> diff -> upgrade (memory, scale, version) -> rollback -> uninstall against the real API
server, in both generations; Cluster API controllers' effects are played by the test."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lifecycle.conftest import EXAMPLE, Tool

pytestmark = pytest.mark.integration

CORE = {"current": "cluster.x-k8s.io/v1beta2", "legacy": "cluster.x-k8s.io/v1beta1"}
INFRA = {"current": "infrastructure.cluster.x-k8s.io/v1alpha2", "legacy": "infrastructure.cluster.x-k8s.io/v1alpha1"}
BOOT = {"current": "bootstrap.cluster.x-k8s.io/v1beta2", "legacy": "bootstrap.cluster.x-k8s.io/v1beta1"}
KCP = {"current": "controlplane.cluster.x-k8s.io/v1alpha2", "legacy": "controlplane.cluster.x-k8s.io/v1alpha1"}


def machineset(gen: str, namespace: str, pmt: str, kct: str) -> dict[str, Any]:
    """A MachineSet as the MachineDeployment controller would create it for a template pair."""
    ref_infra: dict[str, Any] = {"kind": "ProxmoxMachineTemplate", "name": pmt}
    ref_boot: dict[str, Any] = {"kind": "KubeadmConfigTemplate", "name": kct}
    if gen == "current":
        ref_infra["apiGroup"] = "infrastructure.cluster.x-k8s.io"
        ref_boot["apiGroup"] = "bootstrap.cluster.x-k8s.io"
    else:
        ref_infra["apiVersion"] = INFRA[gen]
        ref_boot["apiVersion"] = BOOT[gen]
    labels = {"cluster.x-k8s.io/cluster-name": "demo", "cluster.x-k8s.io/deployment-name": "demo-default-md"}
    return {
        "apiVersion": CORE[gen],
        "kind": "MachineSet",
        "metadata": {"name": "demo-default-md-abc12", "namespace": namespace, "labels": labels},
        "spec": {
            "clusterName": "demo",
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "clusterName": "demo",
                    "version": "v1.31.4",
                    "bootstrap": {"configRef": ref_boot},
                    "infrastructureRef": ref_infra,
                },
            },
        },
    }


def foreign_machine_deployment(gen: str) -> dict[str, Any]:
    """A MachineDeployment named like a pool the next upgrade adds, owned by another field manager."""
    infra = {"apiGroup": "infrastructure.cluster.x-k8s.io"} if gen == "current" else {"apiVersion": INFRA[gen]}
    labels = {"pool": "extra"}
    return {
        "apiVersion": CORE[gen],
        "kind": "MachineDeployment",
        "metadata": {"name": "demo-extra-md"},
        "spec": {
            "clusterName": "demo",
            "replicas": 5,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "clusterName": "demo",
                    "bootstrap": {"dataSecretName": "s"},
                    "infrastructureRef": infra | {"kind": "ProxmoxMachineTemplate", "name": "x"},
                },
            },
        },
    }


def manifest_names(tool: Tool, kind: str) -> list[str]:
    import yaml

    text = tool.ok("get", "manifest", "demo").stdout
    return sorted(o["metadata"]["name"] for o in yaml.safe_load_all(text) if o and o["kind"] == kind)


def test_full_lifecycle(tool: Tool) -> None:
    gen = tool.cluster.generation
    f = ["-f", str(EXAMPLE), "--skip-preflight"]

    # install
    tool.ok("install", "demo", *f)
    (pmt1,) = tool.names(INFRA[gen], "ProxmoxMachineTemplate")
    (kct1,) = tool.names(BOOT[gen], "KubeadmConfigTemplate")
    assert tool.get(CORE[gen], "Cluster", "demo")["spec"]["controlPlaneRef"]["kind"] == "KamajiControlPlane"
    assert tool.get(KCP[gen], "KamajiControlPlane", "demo")["apiVersion"] == KCP[gen]
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    assert md["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert md["metadata"]["annotations"]["meta.helm.sh/release-name"] == "demo"
    (rec,) = tool.json("history", "demo")
    assert (rec["revision"], rec["status"], rec["description"]) == (1, "deployed", "Install complete")

    # a second install of the same name is refused, nothing written
    again = tool("install", "demo", *f)
    assert again.returncode == 1
    assert "it already exists in namespace" in again.stderr and "use `upgrade`" in again.stderr

    # diff: nothing changes -> 0; memory change -> 2 with the rollout impact
    assert tool("diff", "demo", *f[:2]).returncode == 0
    d = tool("diff", "demo", *f[:2], "--set", "nodePools[0].memoryMiB=16384")
    assert d.returncode == 2, d.stderr
    assert d.stdout.splitlines()[0] == (
        "pool default: ProxmoxMachineTemplate replaced (memoryMiB 8192 -> 16384); "
        "1 machine(s) will be replaced, maxSurge 1"
    )
    assert f"- ProxmoxMachineTemplate {pmt1} will be deleted" in d.stdout

    # the MachineDeployment controller made a MachineSet from the current templates
    tool.apply(machineset(gen, tool.namespace, pmt1, kct1))

    # upgrade memory: new template; the old one is kept because a MachineSet uses it
    up = tool.ok("upgrade", "demo", *f, "--set", "nodePools[0].memoryMiB=16384")
    assert f"keeping ProxmoxMachineTemplate {pmt1}: still used by machines of the cluster" in up.stderr
    pmts = tool.names(INFRA[gen], "ProxmoxMachineTemplate")
    assert len(pmts) == 2 and pmt1 in pmts
    (pmt2,) = [p for p in pmts if p != pmt1]
    assert tool.get(INFRA[gen], "ProxmoxMachineTemplate", pmt2)["spec"]["template"]["spec"]["memoryMiB"] == 16384
    assert manifest_names(tool, "ProxmoxMachineTemplate") == sorted([pmt1, pmt2])  # carried in the record
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    assert md["spec"]["template"]["spec"]["infrastructureRef"]["name"] == pmt2
    assert tool.names(BOOT[gen], "KubeadmConfigTemplate") == [kct1]  # bootstrap unchanged

    # scale: nothing renamed
    tool.ok("upgrade", "demo", *f, "--set", "nodePools[0].memoryMiB=16384", "--set", "nodePools[0].replicas=3")
    assert tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"]["replicas"] == 3
    assert sorted(tool.names(INFRA[gen], "ProxmoxMachineTemplate")) == sorted([pmt1, pmt2])

    # version: the control plane first (its own revision); the pools once it reports the version
    v = ["--set", "nodePools[0].memoryMiB=16384", "--set", "nodePools[0].replicas=3"]
    tool.kcp_reports("v1.31.4")
    tool.rollout_done(CORE[gen], "demo-default-md")
    step1 = tool("upgrade", "demo", *f, *v, "--set", "cluster.controlPlane.version=v1.32.0", "--timeout", "1")
    assert step1.returncode == 1 and "at step 'wait for the control plane to report v1.32.0" in step1.stderr, (
        step1.stderr
    )
    assert tool.get(KCP[gen], "KamajiControlPlane", "demo")["spec"]["version"] == "v1.32.0"
    md_version = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"]["template"]["spec"]["version"]
    assert md_version == "v1.31.4"
    tool.kcp_reports("v1.32.0")
    tool.ok("upgrade", "demo", *f, *v, "--set", "cluster.controlPlane.version=v1.32.0")
    assert (
        tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"]["template"]["spec"]["version"] == "v1.32.0"
    )
    assert [h["description"] for h in tool.json("history", "demo")][3:] == [
        "Upgrade step: control plane to v1.32.0",
        "Upgrade step: pool default to v1.32.0",
    ]

    # a minor-version skip without a named intermediate version is refused before anything is written
    skip = tool("upgrade", "demo", *f, *v, "--set", "cluster.controlPlane.version=v1.34.0")
    assert skip.returncode == 1
    assert "skips v1.33" in skip.stderr and "--via v1.33.<patch>" in skip.stderr
    assert len(tool.json("history", "demo")) == 5

    # the rollout finished: the old MachineSet is gone, the next operation deletes the old template
    tool.api.request("DELETE", tool.api.object_path(CORE[gen], "MachineSet", "demo-default-md-abc12", tool.namespace))
    tool.ok("upgrade", "demo", *f, *v, "--set", "cluster.controlPlane.version=v1.32.0")
    assert tool.names(INFRA[gen], "ProxmoxMachineTemplate") == [pmt2]

    # rollback to revision 1: memory, replicas and version return; the old template is recreated
    tool.ok("rollback", "demo", "1")
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    assert md["spec"]["template"]["spec"]["infrastructureRef"]["name"] == pmt1
    assert md["spec"]["template"]["spec"]["version"] == "v1.31.4"
    hist = tool.json("history", "demo")
    assert [(h["revision"], h["status"]) for h in hist] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "superseded"),
        (4, "superseded"),
        (5, "superseded"),
        (6, "superseded"),
        (7, "deployed"),
    ]
    assert hist[-1]["description"] == "Rollback to 1"

    # uninstall: everything of the release goes; the credentials Secret (not the release's) stays
    tool.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "proxmox-secret"},
            "stringData": {"url": "https://pve:8006", "token": "a@pam!t", "secret": "s"},
        }
    )
    tool.ok("uninstall", "demo")
    for api, kind in [
        (CORE[gen], "Cluster"),
        (CORE[gen], "MachineDeployment"),
        (INFRA[gen], "ProxmoxMachineTemplate"),
        (BOOT[gen], "KubeadmConfigTemplate"),
        (KCP[gen], "KamajiControlPlane"),
        (INFRA[gen], "ProxmoxCluster"),
    ]:
        assert tool.names(api, kind) == [], kind
    assert tool.exists("v1", "Secret", "proxmox-secret")
    assert tool.json("list") == []


def test_pending_release_held_by_a_live_process_is_refused_and_a_dead_ones_taken_over(tool: Tool) -> None:
    """Issue 10, item 3: recovery never races a live operation; a dead holder's revision is taken over."""
    from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config
    from capi_kamaji_proxmox.lifecycle.holder import HOLDER_ANNOTATION, holder_annotations
    from capi_kamaji_proxmox.release.record import Status
    from capi_kamaji_proxmox.release.storage import SecretStorage

    f = ["-f", str(EXAMPLE), "--skip-preflight"]
    tool.ok("install", "demo", *f)
    client = KubeClient(resolve_config(str(tool.kubeconfig)), namespace=tool.namespace)
    storage = SecretStorage(client, tool.namespace)
    rec = storage.last("demo").model_copy(deep=True)
    rec.version = 2
    rec.resource_version = None
    rec.info.status = Status.PENDING_UPGRADE
    rec.annotations = holder_annotations(600)  # held by this (live) test process
    storage.create(rec)
    for verb in (["upgrade", "demo", *f], ["uninstall", "demo"], ["install", "demo", *f], ["rollback", "demo"]):
        result = tool(*verb)
        assert result.returncode == 1, verb
        assert (
            f"cannot {verb[0]} release 'demo': another operation (upgrade of revision 2) is in progress, held by "
            f"{rec.annotations[HOLDER_ANNOTATION].rsplit('/', 1)[0]}, last renewed" in result.stderr
        ), result.stderr
    assert [(h["revision"], h["status"]) for h in tool.json("history", "demo")] == [
        (1, "deployed"),
        (2, "pending-upgrade"),
    ]
    # the holder dies (a PID that no longer runs on this host): the same upgrade takes over and converges forward
    dead = storage.get("demo", 2)
    host, _, _ = rec.annotations[HOLDER_ANNOTATION].partition("/")
    dead.annotations[HOLDER_ANNOTATION] = f"{host}/{2**22 + 17}/gone"
    storage.update(dead)
    again = tool.ok("upgrade", "demo", *f)
    assert "taking over the interrupted upgrade of revision 2" in again.stderr
    assert [(h["revision"], h["status"]) for h in tool.json("history", "demo")] == [
        (1, "superseded"),
        (2, "failed"),
        (3, "deployed"),
    ]


def test_concurrent_installs_one_wins(tool: Tool) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: tool("install", "demo", "--skip-preflight"), range(4)))
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1, 1, 1], [r.stderr for r in results]
    for r in results:
        if r.returncode:
            assert "cannot install release 'demo'" in r.stderr
    assert [h["revision"] for h in tool.json("history", "demo")] == [1]


def test_rejected_object_stops_before_anything_is_written_and_a_rerun_converges(tool: Tool) -> None:
    """Issue 10, item 4: every object is dry-run server-side first; one rejection writes nothing."""
    gen = tool.cluster.generation
    tool.ok("install", "demo", "--skip-preflight")
    md_before = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    # Another manager already owns the new pool's MachineDeployment replicas: its apply would conflict.
    tool.apply(foreign_machine_deployment(gen), manager="someone-else")
    pools = [
        "--set",
        "nodePools[0].name=default",
        "--set",
        "nodePools[0].memoryMiB=4096",
        "--set",
        "nodePools[1].name=extra",
        "--set",
        "nodePools[1].replicas=2",
    ]
    failed = tool("upgrade", "demo", "--skip-preflight", *pools)
    assert failed.returncode == 1
    assert "the server rejected 1 object(s) in a dry run; nothing was written" in failed.stderr
    assert "MachineDeployment demo-extra-md: conflict with another field manager on" in failed.stderr
    assert "'someone-else'" in failed.stderr and "--force-conflicts" in failed.stderr
    # nothing was written: no new revision, the pool still points at its template, no new template
    assert [h["status"] for h in tool.json("history", "demo")] == ["deployed"]
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    assert md["spec"]["template"] == md_before["spec"]["template"]
    assert len(tool.names(INFRA[gen], "ProxmoxMachineTemplate")) == 1
    # the retry converges (here by taking the field over, as the message suggests)
    tool.ok("upgrade", "demo", "--skip-preflight", *pools, "--force-conflicts")
    assert tool.get(CORE[gen], "MachineDeployment", "demo-extra-md")["spec"]["replicas"] == 2
    assert [h["status"] for h in tool.json("history", "demo")] == ["superseded", "deployed"]


def test_failed_install_leaves_nothing_behind(tool: Tool) -> None:
    """Issue 10, item 4: a rejected install used to leave a ProxmoxCluster (and more) behind."""
    gen = tool.cluster.generation
    tool.apply(foreign_machine_deployment(gen) | {"metadata": {"name": "demo-default-md"}}, manager="someone-else")
    failed = tool("install", "demo", "--skip-preflight")
    assert failed.returncode == 1 and "nothing was written" in failed.stderr
    assert tool.names(INFRA[gen], "ProxmoxCluster") == [] and tool.names(CORE[gen], "Cluster") == []
    assert tool.json("list") == []
    # the message's advice is a flag install takes: it takes the fields over and installs
    assert "re-run with --force-conflicts" in failed.stderr
    tool.ok("install", "demo", "--skip-preflight", "--force-conflicts")
    assert tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"]["replicas"] == 1
    assert [h["status"] for h in tool.json("history", "demo")] == ["deployed"]


def test_rollback_takes_back_fields_another_manager_changed(tool: Tool) -> None:
    """A rollback restores the revision whoever changed a field since (no conflict, no flag needed)."""
    gen = tool.cluster.generation
    tool.ok("install", "demo", "--skip-preflight")
    tool.ok("upgrade", "demo", "--skip-preflight", "--set", "nodePools[0].replicas=2")
    tool.patch(CORE[gen], "MachineDeployment", "demo-default-md", {"spec": {"replicas": 3}})  # someone edits it
    tool.ok("rollback", "demo", "1")
    assert tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"]["replicas"] == 1
    assert [h["status"] for h in tool.json("history", "demo")] == ["superseded", "superseded", "deployed"]


def test_uninstall_waits_for_cluster_finalizer_times_out_and_resumes(tool: Tool) -> None:
    gen = tool.cluster.generation
    tool.ok("install", "demo", "--skip-preflight")
    tool.patch(CORE[gen], "Cluster", "demo", {"metadata": {"finalizers": ["cluster.cluster.x-k8s.io"]}})
    slow = tool("uninstall", "demo", "--timeout", "3")
    assert slow.returncode == 1
    assert "timed out after 3s waiting for the Cluster to be deleted; nothing else was deleted" in slow.stderr
    assert "Cluster demo is held by finalizers cluster.cluster.x-k8s.io" in slow.stderr
    assert "again to resume" in slow.stderr
    # nothing the Cluster needs was deleted; the record says uninstalling
    assert tool.exists(INFRA[gen], "ProxmoxCluster", "demo")
    assert tool.exists(KCP[gen], "KamajiControlPlane", "demo")
    assert tool.json("history", "demo")[-1]["status"] == "uninstalling"
    # other verbs wait for the uninstall to finish
    assert "it is being uninstalled (revision 1); run `capi-kamaji-proxmox uninstall demo" in (
        tool("upgrade", "demo", "--skip-preflight").stderr
    )
    # Cluster API finishes (the finalizer goes); the next uninstall resumes and completes
    tool.patch(CORE[gen], "Cluster", "demo", {"metadata": {"finalizers": None}})
    tool.ok("uninstall", "demo", "--keep-history")
    assert tool.names(INFRA[gen], "ProxmoxCluster") == []
    assert [(h["revision"], h["status"]) for h in tool.json("history", "demo")] == [(1, "uninstalled")]


def test_autoscaler_owned_replicas_are_never_taken_back(tool: Tool) -> None:
    gen = tool.cluster.generation
    auto = [
        "--set",
        "nodePools[0].name=default",
        "--set",
        "nodePools[0].autoscaling.enabled=true",
        "--set",
        "nodePools[0].autoscaling.minSize=1",
        "--set",
        "nodePools[0].autoscaling.maxSize=5",
    ]
    tool.ok("install", "demo", "--skip-preflight", *auto)
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    assert "replicas" not in md["spec"]
    # the autoscaler scales the pool through its own field manager
    tool.apply(
        {
            "apiVersion": CORE[gen],
            "kind": "MachineDeployment",
            "metadata": {"name": "demo-default-md"},
            "spec": {"replicas": 4},
        },
        manager="cluster-autoscaler",
    )
    tool.ok("upgrade", "demo", "--skip-preflight", *auto, "--set", "nodePools[0].memoryMiB=4096")
    assert tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"]["replicas"] == 4


def test_dry_run_writes_nothing(tool: Tool) -> None:
    gen = tool.cluster.generation
    result = tool.ok("install", "demo", "--skip-preflight", "--dry-run")
    assert "STATUS: dry run" in result.stdout
    assert "MANIFEST:\n---\n# Source: capi-kamaji-proxmox/templates/" in result.stdout
    assert "kind: Cluster\n" in result.stdout
    assert tool.names(CORE[gen], "Cluster") == []
    assert tool.json("list") == []


def test_missing_release_and_bad_values_messages(tool: Tool) -> None:
    r = tool("upgrade", "nope", "--skip-preflight")
    assert r.returncode == 1 and "release 'nope' not found in namespace" in r.stderr
    r = tool("install", "demo", "--set", "nodePools[0].name=default,nodePools[0].numCorez=2")
    assert r.returncode == 2 and "did you mean 'nodePools[0].numCores'" in r.stderr
    r = tool("history", "nope")
    assert r.returncode == 1 and r.stderr == f"error: release 'nope' not found in namespace {tool.namespace!r}\n"


def test_history_max_keeps_the_newest_revisions(tool: Tool) -> None:
    tool.ok("install", "demo", "--skip-preflight")
    for replicas in (2, 3, 4, 5):
        tool.ok(
            "upgrade", "demo", "--skip-preflight", "--history-max", "3", "--set", f"nodePools[0].replicas={replicas}"
        )
    assert [(h["revision"], h["status"]) for h in tool.json("history", "demo")] == [
        (3, "superseded"),
        (4, "superseded"),
        (5, "deployed"),
    ]


def test_atomic_upgrade_rolls_back_when_wait_times_out(tool: Tool) -> None:
    """A --wait timeout marks the revision failed (as helm does; issue 10, item 8); --atomic rolls back."""
    gen = tool.cluster.generation
    tool.ok("install", "demo", "--skip-preflight")
    result = tool(
        "upgrade", "demo", "--skip-preflight", "--atomic", "--wait", "--timeout", "2",
        "--set", "nodePools[0].name=default,nodePools[0].memoryMiB=4096",
    )  # fmt: skip
    assert result.returncode == 1
    assert "--atomic: rolling back to revision 1" in result.stderr
    assert [(h["revision"], h["status"], h["description"][:20]) for h in tool.json("history", "demo")] == [
        (1, "superseded", "Install complete"),
        (2, "failed", "upgrade failed: time"),
        (3, "deployed", "Rollback to 1"),
    ]
    # revision 1's template is what the pool uses again; the new template is gone
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    assert tool.names(INFRA[gen], "ProxmoxMachineTemplate") == [
        md["spec"]["template"]["spec"]["infrastructureRef"]["name"]
    ]


def test_missing_providers_are_named_before_anything_is_written(bare_cluster: Any) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "KUBECONFIG": str(bare_cluster.kubeconfig)}
    result = subprocess.run(
        [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", "install", "demo", "--skip-preflight", "-n", "default"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: the Proxmox infrastructure provider (CAPMOX) is not installed: "
        "no infrastructure.cluster.x-k8s.io API is served"
    )
    secrets = bare_cluster.client.get("/api/v1/namespaces/default/secrets")
    assert [s["metadata"]["name"] for s in secrets["items"]] == []
