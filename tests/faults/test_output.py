"""Output can never abort an operation: every verb with stdout and stderr a closed pipe (the reader
went away, `| head`) or a full device does its work completely and exits without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from capi_kamaji_proxmox.release.record import Status
from tests.faults.conftest import RELEASE, context
from tests.harness.cluster import ControlPlane
from tests.lifecycle.conftest import EXAMPLE

pytestmark = pytest.mark.integration


def closed(plane: ControlPlane, namespace: str, *args: str) -> int:
    """Run with stdout and stderr a pipe whose reader is closed; returns the exit code."""
    r, w = os.pipe()
    os.close(r)
    env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig)}
    env.pop("CI", None)
    try:
        return subprocess.run(
            [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", *args, "-n", namespace],
            stdout=w, stderr=w, env=env, timeout=180,
        ).returncode  # fmt: skip
    finally:
        os.close(w)


def test_every_verb_with_a_closed_output(mgmt_cluster: ControlPlane) -> None:
    ns = mgmt_cluster.create_namespace("closed")
    storage = context(mgmt_cluster.kubeconfig, ns).storage
    f = ["-f", str(EXAMPLE), "--skip-preflight"]

    def statuses() -> list[str]:
        return [r.status.value for r in storage.history(RELEASE)]

    assert closed(mgmt_cluster, ns, "install", RELEASE, *f) == 0
    assert statuses() == ["deployed"]
    assert closed(mgmt_cluster, ns, "diff", RELEASE, *f[:2], "--set", "nodePools[0].memoryMiB=16384") == 2
    assert closed(mgmt_cluster, ns, "upgrade", RELEASE, *f, "--set", "nodePools[0].memoryMiB=16384") == 0
    assert statuses() == ["superseded", "deployed"]
    for read in (["history", RELEASE], ["get", "values", RELEASE], ["get", "manifest", RELEASE], ["list"],
                 ["status"], ["describe", RELEASE], ["template", RELEASE, *f[:2]]):  # fmt: skip
        assert closed(mgmt_cluster, ns, *read) == 0, read
    assert closed(mgmt_cluster, ns, "rollback", RELEASE, "1") == 0
    assert statuses() == ["superseded", "superseded", "deployed"]
    assert closed(mgmt_cluster, ns, "uninstall", RELEASE) == 0
    assert statuses() == []


def test_a_full_device_is_reported_after_the_work_is_done(mgmt_cluster: ControlPlane, tmp_path: Path) -> None:
    ns = mgmt_cluster.create_namespace("full")
    env = {**os.environ, "KUBECONFIG": str(mgmt_cluster.kubeconfig)}
    env.pop("CI", None)
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", "install", RELEASE, "-f", str(EXAMPLE),
             "--skip-preflight", "-n", ns, "-o", "json"],
            stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=180,
        )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: cannot write the output (No space left on device); the command itself completed" in result.stderr
    assert [r.status for r in context(mgmt_cluster.kubeconfig, ns).storage.history(RELEASE)] == [Status.DEPLOYED]
