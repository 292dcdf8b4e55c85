"""install/upgrade take doctor's Proxmox connection flags: a timeout error names --proxmox-timeout,
so the command that printed it must accept it."""

from __future__ import annotations

import pytest

from tests.cli.test_doctor_cli import Setup, env
from tests.rendering import cli

pytestmark = pytest.mark.integration


def test_install_preflight_honours_proxmox_timeout(preflight_ready: Setup) -> None:
    mgmt_cluster, namespace, pve_sim = preflight_ready.plane, preflight_ready.ns, preflight_ready.sim
    base = ["install", "demo", "-f", str(preflight_ready.values), "-n", namespace, "--kubeconfig",
            str(mgmt_cluster.kubeconfig), "--proxmox-ca-file", str(pve_sim.ca_path),
            "--bootstrap-namespace", namespace, "--bootstrap-service-account", "boot"]  # fmt: skip
    pve_sim.response_delay = 1.0
    try:
        slow = cli(*base, "--proxmox-timeout", "0.3", env=env())
    finally:
        pve_sim.response_delay = 0.0
    out = slow.stdout + slow.stderr
    assert slow.returncode != 0, out
    assert "timed out after 0.3s" in out and "raise --proxmox-timeout" in out, out
    assert "Traceback" not in out
    records = f"/api/v1/namespaces/{namespace}/secrets"
    found = mgmt_cluster.client.get(records, params={"labelSelector": "owner=helm"})
    assert found["items"] == []  # preflight stopped it before the pending record, so before any object

    done = cli(*base, "--proxmox-timeout", "5", env=env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(mgmt_cluster.client.get(records, params={"labelSelector": "owner=helm"})["items"]) == 1


@pytest.mark.parametrize("verb", ["install", "upgrade"])
def test_proxmox_timeout_must_be_seconds(verb: str) -> None:
    result = cli(verb, "demo", "--proxmox-timeout", "soon")
    assert result.returncode == 2
    assert result.stderr.endswith("error: argument --proxmox-timeout: 'soon' is not a number of seconds\n")
