"""``kubeconfig`` (right cluster name, mode 0600, no silent overwrite, Kamaji fallback) and
``--watch`` (a change made while the CLI runs is printed) through the real entry point."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.observe.scenarios import build
from tests.observe.world import Machine, World
from tests.rendering import cli

pytestmark = pytest.mark.integration

KUBECONFIG_CAPI = (
    "apiVersion: v1\nkind: Config\nclusters: [{name: prod, cluster: {server: 'https://10.0.10.20:6443'}}]\n"
)
KUBECONFIG_KAMAJI = "apiVersion: v1\nkind: Config\n# written by kamaji\n"


def run(w: World, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(*args, "-n", w.namespace, "--kubeconfig", str(w.plane.kubeconfig))


def test_kubeconfig_file_mode_and_no_overwrite(world: World, tmp_path: Path) -> None:
    world.install()  # release "demo", cluster "prod": the Secret is named after the cluster
    world.kubeconfig_secret("prod-kubeconfig", "value", KUBECONFIG_CAPI)
    target = tmp_path / "prod.kubeconfig"
    first = run(world, "kubeconfig", "demo", "-o", str(target))
    assert first.returncode == 0, first.stderr
    assert target.read_text() == KUBECONFIG_CAPI
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "prod-kubeconfig" in first.stderr and "server" not in first.stderr + first.stdout  # never logged

    target.write_text("mine\n")
    again = run(world, "kubeconfig", "demo", "-o", str(target))
    assert again.returncode == 1 and "--force" in again.stderr and "Traceback" not in again.stderr
    assert target.read_text() == "mine\n"

    target.chmod(0o644)
    forced = run(world, "kubeconfig", "demo", "-o", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_text() == KUBECONFIG_CAPI
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    stdout = run(world, "kubeconfig", "demo", "-o", "-")
    assert stdout.returncode == 0 and stdout.stdout == KUBECONFIG_CAPI
    nowhere = run(world, "kubeconfig", "demo")
    assert nowhere.returncode == 2 and "-o FILE" in nowhere.stderr and nowhere.stdout == ""


def test_kubeconfig_falls_back_to_kamaji_secret(world: World, tmp_path: Path) -> None:
    world.install()
    missing = run(world, "kubeconfig", "demo", "-o", str(tmp_path / "k"))
    assert missing.returncode == 1
    assert "neither Secret prod-kubeconfig (key value) nor prod-admin-kubeconfig (key admin.conf)" in missing.stderr
    assert not (tmp_path / "k").exists()
    world.kubeconfig_secret("prod-admin-kubeconfig", "admin.conf", KUBECONFIG_KAMAJI)
    got = run(world, "kubeconfig", "demo", "-o", "-")
    assert got.returncode == 0, got.stderr
    assert got.stdout == KUBECONFIG_KAMAJI


def test_kubeconfig_unknown_release(world: World) -> None:
    res = run(world, "kubeconfig", "nope", "-o", "-")
    assert res.returncode == 1
    assert f"release 'nope' not found in namespace '{world.namespace}'" in res.stderr
    assert "Traceback" not in res.stderr


def test_describe_cli_json_and_missing_release(world: World) -> None:
    build(world, "failing")
    res = run(world, "describe", "demo", "-o", "json")
    assert res.returncode == 0, res.stderr
    view = json.loads(res.stdout)
    assert view["cluster"]["name"] == "prod"
    assert [p["name"] for p in view["pools"]] == ["workers", "gpu"]
    text = run(world, "describe", "demo", "--show-conditions", "all")
    assert text.returncode == 0 and "✓ Ready=True" in text.stdout and "storage 'ceph-vm' is full" in text.stdout
    missing = run(world, "describe", "nope")
    assert missing.returncode == 1 and "release 'nope' not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def _spawn(w: World, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "capi_kamaji_proxmox.cli.main",
            *args,
            "-n",
            w.namespace,
            "--kubeconfig",
            str(w.plane.kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(proc: subprocess.Popen[str], needle: str, timeout: float = 30.0) -> list[str]:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip("\n"))
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not printed; got {seen}")


def test_describe_watch_prints_only_the_change(world: World) -> None:
    build(world, "provisioning")
    proc = _spawn(world, "describe", "demo", "--watch", "--watch-timeout", "12")
    try:
        first = _read_until(proc, "Machine/prod-workers-md-aaaaa-m1")
        assert first[0].startswith("Release demo in")
        # the machine gets its node and VM, as CAPI and CAPMOX would report it
        world.machine(
            "workers",
            Machine(
                "prod-workers-md-aaaaa-m1",
                "prod-workers-md-aaaaa",
                node="prod-workers-m1",
                address="10.0.20.11",
                vmid=101,
            ),
        )
        changed = _read_until(proc, "node prod-workers-m1")
        proc.wait(timeout=30)  # --watch-timeout ends it
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()  # not communicate(): readline() buffered some
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    machine_line = next(x for x in changed if "Machine/prod-workers-md-aaaaa-m1" in x)
    assert machine_line.split(" ", 1)[1] == (
        "Machine/prod-workers-md-aaaaa-m1  Running  node prod-workers-m1  10.0.20.11  pve pve1 vm 101 (ready)"
    )
    # not a redraw: the unchanged Cluster line is not printed again after the first frame
    later = changed + out.splitlines()
    assert not [x for x in later if "Cluster/prod" in x and "Provisioning" in x]
    assert any("gone: Machine/prod-workers-md-aaaaa-m1#ProxmoxMachine" in x for x in later), later


def test_status_watch_and_ctrl_c(world: World) -> None:
    build(world, "healthy")
    proc = _spawn(world, "status", "--watch")
    try:
        _read_until(proc, "demo")
        world.md_state("workers", replicas=3, up_to_date=1, ready=3, rolling="2 Machines not up-to-date")
        changed = _read_until(proc, "workers 1/2 up to date")
        assert "workers 3/2" in changed[-1]
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert proc.stderr is not None
        err = proc.stderr.read()
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err


def test_watch_timeout_needs_watch(world: World) -> None:
    res = run(world, "status", "--watch-timeout", "3")
    assert res.returncode == 2 and "--watch-timeout needs --watch" in res.stderr


def test_kubeconfig_follows_the_tenant_control_plane_secret_name(world: World, tmp_path: Path) -> None:
    """Kamaji names its admin kubeconfig Secret in the TenantControlPlane status; the key can be
    changed by an annotation. Both are honoured when Cluster API's Secret is not there yet."""
    world.install()
    tcp = {
        "apiVersion": "kamaji.clastix.io/v1alpha1",
        "kind": "TenantControlPlane",
        "metadata": {"name": "prod", "annotations": {"kamaji.clastix.io/kubeconfig-secret-key": "super.conf"}},
        "spec": {
            "controlPlane": {"service": {"serviceType": "LoadBalancer"}},
            "kubernetes": {"version": "v1.31.4", "kubelet": {"cgroupfs": "systemd"}},
            # Kamaji's update rules read networkProfile, which its controller always fills in.
            "networkProfile": {"port": 6443},
        },
    }
    world.apply(tcp)
    world.kc.request(
        "PATCH",
        f"/apis/kamaji.clastix.io/v1alpha1/namespaces/{world.namespace}/tenantcontrolplanes/prod/status",
        data=json.dumps({"status": {"kubeconfig": {"admin": {"secretName": "prod-custom-admin"}}}}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    world.kubeconfig_secret("prod-custom-admin", "super.conf", KUBECONFIG_KAMAJI)
    got = run(world, "kubeconfig", "demo", "-o", "-")
    assert got.returncode == 0, got.stderr
    assert got.stdout == KUBECONFIG_KAMAJI
