"""Who may take a pending revision over: never while its holder is alive, always once it is gone;
two processes at once; a stopped holder; a kube-apiserver restart mid-operation."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from capi_kamaji_proxmox.release.record import Status
from tests.faults.conftest import RELEASE, UPGRADE_ARGS, Scenario, new_scenario
from tests.faults.proxy import FaultProxy
from tests.harness.cluster import ControlPlane, _stop_process

pytestmark = pytest.mark.integration


def wait_for(what: str, cond: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def pending(s: Scenario) -> bool:
    return s.ctx().storage.history(RELEASE)[-1].status is Status.PENDING_UPGRADE


def run(s: Scenario, kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = s.tool(kubeconfig, *args)
    out, err = proc.communicate(timeout=180)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def no_traceback(text: str) -> None:
    assert "Traceback" not in text, text


def test_two_at_once_exactly_one_proceeds(mgmt_cluster: ControlPlane, proxy: FaultProxy, tmp_path: Path) -> None:
    s = new_scenario(mgmt_cluster)
    proxy.delay = 0.3  # a slow API: the operations overlap
    slow = proxy.kubeconfig(tmp_path)
    procs = [s.tool(slow, *UPGRADE_ARGS), s.tool(slow, *UPGRADE_ARGS)]
    results = [(p.pid, *p.communicate(timeout=180), p.returncode) for p in procs]
    codes = sorted(r[3] for r in results)
    assert codes == [0, 1], results
    (loser,) = [r for r in results if r[3] == 1]
    (winner,) = [r for r in results if r[3] == 0]
    no_traceback(loser[2])
    assert "cannot upgrade release 'demo': another operation" in loser[2]
    assert f"/{winner[0]}, last renewed " in loser[2], loser[2]  # the holder, and its age
    s.check()


def test_recovery_refused_while_the_holder_lives_and_taken_over_once_it_died(
    mgmt_cluster: ControlPlane, proxy: FaultProxy, tmp_path: Path
) -> None:
    s = new_scenario(mgmt_cluster)
    proxy.hold_at(3)  # the upgrade hangs in the middle of applying
    holder = s.tool(proxy.kubeconfig(tmp_path), *UPGRADE_ARGS)
    assert proxy.held.wait(60)
    for verb in (["rollback", RELEASE], UPGRADE_ARGS, ["uninstall", RELEASE]):
        refused = run(s, mgmt_cluster.kubeconfig, *verb)
        assert refused.returncode == 1, refused.stderr
        assert f"is in progress, held by {os.uname().nodename}/{holder.pid}, last renewed" in refused.stderr
    assert pending(s)
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    proxy.release()
    rolled = run(s, mgmt_cluster.kubeconfig, "rollback", RELEASE)
    assert rolled.returncode == 0, rolled.stderr
    assert "taking over the interrupted upgrade of revision 2" in rolled.stderr
    assert [r.status.value for r in s.ctx().storage.history(RELEASE)] == ["superseded", "failed", "deployed"]
    s.converge()


def test_a_stopped_holder_is_taken_over_after_its_lease_and_then_stops_cleanly(
    mgmt_cluster: ControlPlane, proxy: FaultProxy, tmp_path: Path
) -> None:
    s = new_scenario(mgmt_cluster)
    proxy.delay = 0.4
    holder = s.tool(proxy.kubeconfig(tmp_path), *UPGRADE_ARGS, env={"CAPI_KAMAJI_PROXMOX_LEASE_SECONDS": "3"})
    wait_for("the pending record", lambda: pending(s))
    holder.send_signal(signal.SIGSTOP)
    try:
        early = run(s, mgmt_cluster.kubeconfig, *UPGRADE_ARGS)
        assert early.returncode == 1 and "is in progress, held by" in early.stderr, early.stderr
        time.sleep(3.5)  # the lease expires: the stopped process no longer holds the release
        late = run(s, mgmt_cluster.kubeconfig, *UPGRADE_ARGS)
        assert late.returncode == 0, late.stderr
        assert "taking over the interrupted upgrade" in late.stderr
    finally:
        holder.send_signal(signal.SIGCONT)
    _, err = holder.communicate(timeout=120)
    assert holder.returncode == 1, err
    no_traceback(err)
    assert "was taken over by another operation" in err
    s.check()


def test_kube_apiserver_restart_mid_operation(harness_binaries: dict[str, Path], tmp_path: Path) -> None:
    plane = ControlPlane(generation="current", binaries_override=harness_binaries).start()
    proxy = FaultProxy(plane).start()
    try:
        s = new_scenario(plane)
        proxy.delay = 0.5
        proc = s.tool(proxy.kubeconfig(tmp_path), *UPGRADE_ARGS)
        wait_for("the pending record", lambda: pending(s))
        _stop_process(plane._procs.pop("kube-apiserver"))
        time.sleep(1.0)
        plane._start_apiserver(harness_binaries["kube-apiserver"])
        _, err = proc.communicate(timeout=180)
        no_traceback(err)
        if proc.returncode != 0:  # cut off by the restart: it says so and what to run
            assert "did not complete: lost the connection to the management cluster" in err, err
            assert "Run the same `capi-kamaji-proxmox upgrade` again" in err
        s.converge()
    finally:
        proxy.stop()
        plane.stop()
