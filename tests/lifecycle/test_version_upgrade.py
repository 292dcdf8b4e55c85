"""A Kubernetes version upgrade in steps against the real API server, both generations; the test
plays Kamaji and the MachineDeployment controller. After every write: no MachineDeployment asks
for a newer minor than the control plane reports."""

from __future__ import annotations

import copy
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from capi_kamaji_proxmox.lifecycle.version_steps import minor
from tests.lifecycle.conftest import EXAMPLE, Tool
from tests.lifecycle.test_lifecycle import CORE, KCP

pytestmark = pytest.mark.integration


def values_file(tmp_path: Path, pools: list[str], strategy: str = "parallel") -> Path:
    values = yaml.safe_load(EXAMPLE.read_text())
    base = values["nodePools"][0]
    values["nodePools"] = [{**copy.deepcopy(base), "name": p, "replicas": 2} for p in pools]
    values["upgradeStrategy"] = {"pools": strategy}
    del values["cluster"]["controlPlane"]["version"]
    values["cluster"]["version"] = "v1.31.4"
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


class Cluster:
    """The tool plus the controllers' part, checking the skew invariant after every write."""

    def __init__(self, tool: Tool, values: Path, pools: list[str]) -> None:
        self.tool, self.gen, self.pools = tool, tool.cluster.generation, pools
        self.f = ["-f", str(values), "--skip-preflight"]

    def check_skew(self) -> None:
        kcp = self.tool.get(KCP[self.gen], "KamajiControlPlane", "demo")
        reported = (kcp.get("status") or {}).get("version")
        for p in self.pools:
            asked = self.md_version(p)
            if reported:
                assert minor(asked) <= minor(reported), f"pool {p} asks for {asked}, control plane reports {reported}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.tool(*args)
        self.check_skew()
        return result

    def upgrade(self, version: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("upgrade", "demo", *self.f, "--set", f"cluster.version={version}", "--timeout", "1", *extra)

    def kcp_reports(self, version: str) -> None:
        self.tool.kcp_reports(version)
        self.check_skew()

    def rolled(self, pool: str) -> None:
        self.tool.rollout_done(CORE[self.gen], f"demo-{pool}-md")
        self.check_skew()

    def md_version(self, pool: str) -> str:
        md = self.tool.get(CORE[self.gen], "MachineDeployment", f"demo-{pool}-md")
        return str(md["spec"]["template"]["spec"]["version"])

    def kcp_version(self) -> str:
        return str(self.tool.get(KCP[self.gen], "KamajiControlPlane", "demo")["spec"]["version"])

    def upgrading(self) -> str:
        """The upgrade line of `describe` (text) and of `status` (its ROLLOUT column, JSON), which agree."""
        text = self.tool.ok("describe", "demo").stdout.splitlines()
        (row,) = self.tool.json("status")
        described = [ln for ln in text if ln.startswith("upgrading:")]
        assert described == ([row["upgrading"]] if row["upgrading"] else []), (described, row)
        return str(row["upgrading"])

    def steps(self) -> list[str]:
        return [h["description"] for h in self.tool.json("history", "demo", "--max", "50")[1:]]


def test_serial_pools_follow_the_reported_control_plane(tool: Tool, tmp_path: Path) -> None:
    pools = ["a", "b", "c"]
    c = Cluster(tool, values_file(tmp_path, pools, "serial"), pools)
    c.run("install", "demo", *c.f)
    c.kcp_reports("v1.31.4")
    for p in pools:
        c.rolled(p)

    d = c.run("diff", "demo", "-f", c.f[1], "--set", "cluster.version=v1.32.4")
    assert d.returncode == 2, d.stderr
    assert "  1. control plane to v1.32.4: no machine is replaced" in d.stdout
    assert "  2. pool a to v1.32.4: replaces 2 machine(s) of pool a" in d.stdout
    assert "  4. pool c to v1.32.4: replaces 2 machine(s) of pool c" in d.stdout

    # step 1: only the control plane object carries the new version
    r = c.upgrade("v1.32.4")
    assert r.returncode == 1 and "at step 'wait for the control plane to report v1.32.4 and be ready'" in r.stderr
    assert "reports version v1.31.4, ready" in r.stderr and "run the same upgrade again" in r.stderr
    assert c.kcp_version() == "v1.32.4" and {c.md_version(p) for p in pools} == {"v1.31.4"}
    assert c.upgrading() == "upgrading: control plane v1.31.4 -> v1.32.4 in progress, pools 0/3"
    # a re-run before Kamaji reports repeats nothing
    assert c.upgrade("v1.32.4").returncode == 1
    assert c.steps() == ["Upgrade step: control plane to v1.32.4"]
    d = c.run("diff", "demo", "-f", c.f[1], "--set", "cluster.version=v1.32.4", "-o", "json")
    assert [s["what"] for s in yaml.safe_load(d.stdout)["steps"]] == [f"pool {p} to v1.32.4" for p in pools]

    c.kcp_reports("v1.32.4")
    r = c.upgrade("v1.32.4")
    assert r.returncode == 1 and "at step 'wait for pool a to finish rolling'" in r.stderr, r.stderr
    assert [c.md_version(p) for p in pools] == ["v1.32.4", "v1.31.4", "v1.31.4"]
    assert c.upgrading() == "upgrading: control plane v1.32.4 ready, pools 0/3"
    # serial: pool b changes only after pool a's status shows its rollout done
    assert c.upgrade("v1.32.4").returncode == 1
    assert c.md_version("b") == "v1.31.4"
    c.rolled("a")
    r = c.upgrade("v1.32.4")
    assert r.returncode == 1 and "wait for pool b to finish rolling" in r.stderr
    assert [c.md_version(p) for p in pools] == ["v1.32.4", "v1.32.4", "v1.31.4"]
    assert c.upgrading() == "upgrading: control plane v1.32.4 ready, pools 1/3"
    d = c.run("diff", "demo", "-f", c.f[1], "--set", "cluster.version=v1.32.4")
    assert "  1. pool c to v1.32.4: replaces 2 machine(s) of pool c" in d.stdout
    c.rolled("b")
    last = c.upgrade("v1.32.4")  # the last pool: done once applied (as helm, --wait would follow readiness)
    assert last.returncode == 0, last.stderr
    assert [c.md_version(p) for p in pools] == ["v1.32.4"] * 3
    assert c.upgrading() == ""  # every pool asks for v1.32.4: pool c's roll shows as any rollout does
    assert c.steps() == [
        "Upgrade step: control plane to v1.32.4",
        "Upgrade step: pool a to v1.32.4",
        "Upgrade step: pool b to v1.32.4",
        "Upgrade step: pool c to v1.32.4",
    ]


def test_two_minor_walk_resumes_after_a_kill(tool: Tool, tmp_path: Path) -> None:
    c = Cluster(tool, values_file(tmp_path, ["a"]), ["a"])
    c.run("install", "demo", *c.f)
    c.kcp_reports("v1.31.4")
    c.rolled("a")

    refused = c.upgrade("v1.33.1")
    assert refused.returncode == 1 and "--via v1.32.<patch>" in refused.stderr
    assert "capi-kamaji-proxmox upgrade demo" in refused.stderr
    assert c.steps() == [] and c.kcp_version() == "v1.31.4"

    # killed while waiting after step 1: the step is recorded, the re-run does not repeat it
    env_args = ["upgrade", "demo", *c.f, "--set", "cluster.version=v1.33.1", "--via", "v1.32.9", "-n", tool.namespace]
    proc = subprocess.Popen(
        [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", *env_args],
        env={**__import__("os").environ, "KUBECONFIG": str(tool.kubeconfig)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while c.steps() != ["Upgrade step: control plane to v1.32.9"]:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    c.check_skew()
    assert c.upgrade("v1.33.1", "--via", "v1.32.9").returncode == 1
    assert len(c.steps()) == 1

    c.kcp_reports("v1.32.9")
    assert c.upgrade("v1.33.1", "--via", "v1.32.9").returncode == 1  # pool a moves, then its roll is awaited
    assert c.md_version("a") == "v1.32.9" and c.kcp_version() == "v1.32.9"
    c.rolled("a")
    assert c.upgrade("v1.33.1", "--via", "v1.32.9").returncode == 1  # control plane to v1.33.1, then wait
    assert c.kcp_version() == "v1.33.1" and c.md_version("a") == "v1.32.9"
    c.kcp_reports("v1.33.1")
    ok = c.upgrade("v1.33.1", "--via", "v1.32.9")
    assert ok.returncode == 0, ok.stderr
    assert c.md_version("a") == "v1.33.1"
    assert c.steps() == [
        "Upgrade step: control plane to v1.32.9",
        "Upgrade step: pool a to v1.32.9",
        "Upgrade step: control plane to v1.33.1",
        "Upgrade step: pool a to v1.33.1",
    ]
    history: list[dict[str, Any]] = tool.json("history", "demo")
    assert [h["status"] for h in history] == ["superseded"] * 4 + ["deployed"]
    # a downgrade is refused before anything is written
    down = c.upgrade("v1.32.9")
    assert down.returncode == 1 and "downgrade" in down.stderr and len(c.steps()) == 4
