"""The fault tier: one scenario (a 1-pool cluster whose pool has a MachineSet on the current
templates, upgraded to more memory so that a template is replaced and the old one retained), a
loopback proxy to inject faults, and the checks that must hold after every fault."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from capi_kamaji_proxmox.kube.client import KubeClient, resolve_config
from capi_kamaji_proxmox.lifecycle import actions
from capi_kamaji_proxmox.lifecycle.context import ActionContext, Options, Reporter
from capi_kamaji_proxmox.lifecycle.diff import diff_release
from capi_kamaji_proxmox.lifecycle.inputs import UserValues
from capi_kamaji_proxmox.release.record import Status, split_manifest
from tests.faults.proxy import FaultProxy
from tests.harness.cluster import ControlPlane
from tests.lifecycle.conftest import EXAMPLE
from tests.lifecycle.test_lifecycle import BOOT, INFRA, machineset

RELEASE = "demo"
UPGRADE_SET = ["nodePools[0].memoryMiB=16384"]
UPGRADE_ARGS = ["upgrade", RELEASE, "-f", str(EXAMPLE), "--skip-preflight", "--set", *UPGRADE_SET]


def upgrade_values() -> UserValues:
    return UserValues(files=[yaml.safe_load(EXAMPLE.read_text())], set=list(UPGRADE_SET))


def context(kubeconfig: Path, namespace: str) -> ActionContext:
    client = KubeClient(resolve_config(str(kubeconfig)), namespace=namespace)
    return ActionContext(client, namespace, Options(skip_preflight=True), Reporter(quiet=True))


@dataclass
class Scenario:
    plane: ControlPlane
    namespace: str
    referenced: list[tuple[str, str]]  # (kind, name) of the templates the MachineSet uses

    def ctx(self, kubeconfig: Path | None = None) -> ActionContext:
        return context(kubeconfig or self.plane.kubeconfig, self.namespace)

    def tool(self, kubeconfig: Path, *args: str, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen[str]:
        full = {**os.environ, "KUBECONFIG": str(kubeconfig), **(env or {})}
        full.pop("CI", None)
        return subprocess.Popen(
            [sys.executable, "-m", "capi_kamaji_proxmox.cli.main", *args, "-n", self.namespace],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full, **kw,
        )  # fmt: skip

    def converge(self) -> None:
        """Run the same upgrade again (directly, no fault) and check every guarantee."""
        actions.upgrade(self.ctx(), RELEASE, upgrade_values())
        self.check()

    def check(self) -> None:
        ctx = self.ctx()
        hist = ctx.storage.history(RELEASE)
        statuses = [r.status for r in hist]
        assert statuses.count(Status.DEPLOYED) == 1, [(r.version, r.status.value) for r in hist]
        assert hist[-1].status is Status.DEPLOYED
        _, changes = diff_release(ctx, RELEASE, upgrade_values())
        assert changes == [] or all(c.action == "keep" for c in changes), [(c.action, c.kind, c.name) for c in changes]
        api = self.plane.client
        for obj in split_manifest(hist[-1].manifest):
            found = api.get_object(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], self.namespace)
            assert found is not None, f"{obj['kind']} {obj['metadata']['name']} of the release is gone"
        gen = self.plane.generation
        for kind, name in self.referenced:
            api_version = INFRA[gen] if kind == "ProxmoxMachineTemplate" else BOOT[gen]
            assert api.get_object(api_version, kind, name, self.namespace) is not None, f"{kind} {name} (in use)"


def new_scenario(plane: ControlPlane) -> Scenario:
    """A fresh namespace with the release installed and a MachineSet on its templates."""
    ns = plane.create_namespace("fault")
    ctx = context(plane.kubeconfig, ns)
    actions.install(ctx, RELEASE, UserValues(files=[yaml.safe_load(EXAMPLE.read_text())]))
    gen = plane.generation
    api = plane.client
    pmt = [
        i["metadata"]["name"]
        for i in api.get(api.object_path(INFRA[gen], "ProxmoxMachineTemplate", namespace=ns))["items"]
    ]
    kct = [
        i["metadata"]["name"]
        for i in api.get(api.object_path(BOOT[gen], "KubeadmConfigTemplate", namespace=ns))["items"]
    ]
    api.apply(machineset(gen, ns, pmt[0], kct[0]), namespace=ns, field_manager="test-controller")
    return Scenario(plane, ns, [("ProxmoxMachineTemplate", pmt[0]), ("KubeadmConfigTemplate", kct[0])])


@pytest.fixture
def proxy(mgmt_cluster: ControlPlane) -> Iterator[FaultProxy]:
    p = FaultProxy(mgmt_cluster).start()
    try:
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="session")
def upgrade_writes(mgmt_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many writes a clean run of the scenario's upgrade sends (the k range of the properties)."""
    p = FaultProxy(mgmt_cluster).start()
    try:
        s = new_scenario(mgmt_cluster)
        actions.upgrade(s.ctx(p.kubeconfig(tmp_path_factory.mktemp("w"))), RELEASE, upgrade_values())
        return p.writes
    finally:
        p.stop()
