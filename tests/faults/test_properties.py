"""Properties, not anecdotes: whatever write an upgrade is at when it is killed or the API fails,
running the same upgrade again converges (diff empty, one ``deployed`` revision, no object of the
release lost, no template a MachineSet uses deleted). Both generations (``mgmt_cluster``)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from capi_kamaji_proxmox.kube.errors import ApiError
from capi_kamaji_proxmox.lifecycle import actions
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from tests.faults.conftest import RELEASE, UPGRADE_ARGS, new_scenario, upgrade_values
from tests.faults.proxy import FaultProxy
from tests.harness.cluster import ControlPlane

pytestmark = pytest.mark.integration


def test_killed_after_k_writes_the_same_upgrade_converges(
    mgmt_cluster: ControlPlane, proxy: FaultProxy, upgrade_writes: int, tmp_path: Path
) -> None:
    kubeconfig = proxy.kubeconfig(tmp_path)
    converged = []
    for k in range(upgrade_writes + 1):
        s = new_scenario(mgmt_cluster)
        proxy.reset()
        proxy.hold_at(k)
        proc = s.tool(kubeconfig, *UPGRADE_ARGS)
        while not proxy.held.wait(0.05):
            if proc.poll() is not None:
                break  # k == number of writes: it finished before a write k
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        proxy.release()
        s.converge()
        converged.append(k)
    total = upgrade_writes + 1
    print(f"\nkill ({mgmt_cluster.generation}): k = 0..{upgrade_writes}, {len(converged)}/{total} converged")
    assert converged == list(range(upgrade_writes + 1))


@pytest.mark.parametrize("fault", ["500", "429", "cut"])
def test_api_fault_at_write_k_the_same_upgrade_converges(
    mgmt_cluster: ControlPlane, proxy: FaultProxy, upgrade_writes: int, tmp_path: Path, fault: str
) -> None:
    kubeconfig = proxy.kubeconfig(tmp_path)
    outcomes: dict[str, int] = {}
    for k in range(upgrade_writes):
        s = new_scenario(mgmt_cluster)
        proxy.reset()
        if fault == "cut":
            proxy.cut_at(k)
        else:
            proxy.fail_at(k, int(fault), retry_after=None if fault == "500" else "0.1")
        try:
            actions.upgrade(s.ctx(kubeconfig), RELEASE, upgrade_values())
            outcome = "completed"
        except (LifecycleError, ApiError, OSError) as exc:
            outcome = type(exc).__name__
        except Exception as exc:  # a transport error of the HTTP client
            outcome = type(exc).__name__
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        s.converge()
    gen, n = mgmt_cluster.generation, upgrade_writes
    print(f"\n{fault} ({gen}): k = 0..{n - 1}, {n}/{n} converged; first runs: {outcomes}")
    if fault == "429":  # the server asked to retry later: the client does, the operation completes
        assert outcomes == {"completed": upgrade_writes}
