"""--wait follows the cluster until the control plane and every pool are ready, in both status shapes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.lifecycle.conftest import Tool

pytestmark = pytest.mark.integration

CORE = {"current": "cluster.x-k8s.io/v1beta2", "legacy": "cluster.x-k8s.io/v1beta1"}
NOW = "2026-11-25T10:00:00Z"


def make_ready(tool: Tool) -> None:
    """What Cluster API would report once the control plane is up and the pool's machine is ready."""
    gen = tool.cluster.generation
    api = tool.api
    cond: dict[str, Any] = {
        "type": "ControlPlaneAvailable" if gen == "current" else "ControlPlaneReady",
        "status": "True",
        "lastTransitionTime": NOW,
    }
    if gen == "current":
        cond |= {"reason": "Available", "message": ""}
    cluster = tool.get(CORE[gen], "Cluster", "demo")
    cluster["status"] = {"conditions": [cond]}
    api.request("PUT", api.object_path(CORE[gen], "Cluster", "demo", tool.namespace) + "/status", json=cluster)
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    md["status"] = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}
    api.request(
        "PUT", api.object_path(CORE[gen], "MachineDeployment", "demo-default-md", tool.namespace) + "/status", json=md
    )


def test_wait_times_out_with_the_reason(tool: Tool) -> None:
    tool.ok("install", "demo", "--skip-preflight")
    result = tool("upgrade", "demo", "--skip-preflight", "--wait", "--timeout", "3")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: upgrade of release 'demo' failed (revision 2 marked failed): "
        "timed out after 3s waiting for 'demo' to be ready: control plane not ready; demo-default-md 0/1"
    )
    # as helm: the revision that did not become ready is failed; the previous one stays deployed
    assert [(h["revision"], h["status"]) for h in tool.json("history", "demo")] == [(1, "deployed"), (2, "failed")]


def test_wait_returns_when_ready(tool: Tool) -> None:
    tool.ok("install", "demo", "--skip-preflight")
    env = {**os.environ, "KUBECONFIG": str(tool.kubeconfig)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "capi_kamaji_proxmox.cli.main",
            "upgrade",
            "demo",
            "--skip-preflight",
            "--wait",
            "--timeout",
            "60",
            "-n",
            tool.namespace,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(4)
    assert proc.poll() is None, "returned before the cluster was ready"
    make_ready(tool)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = err.splitlines()
    # plain progress lines on a non-terminal, the last one saying everything is ready
    assert "control plane not ready; demo-default-md 0/1" in lines
    assert "control plane ready; demo-default-md 1/1" in lines


def test_wait_redraws_one_line_on_a_terminal(tool: Tool) -> None:
    """On a terminal the progress line is redrawn in place (carriage return + erase line)."""
    import pty
    import select

    tool.ok("install", "demo", "--skip-preflight")
    make_ready(tool)
    primary, secondary = pty.openpty()
    env = {**os.environ, "KUBECONFIG": str(tool.kubeconfig)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", "upgrade", "demo", "--skip-preflight", "--wait",
         "--timeout", "60", "-n", tool.namespace],
        stdout=subprocess.DEVNULL, stderr=secondary, text=True, env=env,
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    screen = b"".join(chunks).decode()
    assert "\r\x1b[Kcontrol plane ready; demo-default-md 1/1" in screen
