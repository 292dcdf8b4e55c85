"""Smoke tests proving the harness gives a real, strict API server, working helm and no leaks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.binaries import REPO_ROOT
from tests.harness.cluster import ControlPlane, process_alive, reap_stale_workdirs
from tests.harness.kubeapply import KubeAPIError, KubeClient, apply_manifests

pytestmark = pytest.mark.integration

# The storage version of ProxmoxMachineTemplate in each CRD generation.
PMT_VERSION = {"current": "v1alpha2", "legacy": "v1alpha1"}


def machine_template(generation: str, name: str, **spec_overrides: Any) -> dict[str, Any]:
    """A ProxmoxMachineTemplate valid for ``generation``, with optional spec overrides."""
    spec: dict[str, Any] = {
        "sourceNode": "pve1",
        "templateID": 100,
        "numSockets": 1,
        "numCores": 2,
        "memoryMiB": 4096,
    }
    if generation == "current":
        spec["network"] = {"networkDevices": [{"name": "net0", "bridge": "vmbr0"}]}
    spec.update(spec_overrides)
    return {
        "apiVersion": f"infrastructure.cluster.x-k8s.io/{PMT_VERSION[generation]}",
        "kind": "ProxmoxMachineTemplate",
        "metadata": {"name": name},
        "spec": {"template": {"spec": spec}},
    }


def test_every_crd_of_the_generation_is_established(mgmt_cluster: ControlPlane) -> None:
    crds = mgmt_cluster.client.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    served = {c["metadata"]["name"] for c in crds["items"]}
    assert len(mgmt_cluster.crd_names) == len(list(mgmt_cluster.crd_dir.glob("*.yaml")))
    assert set(mgmt_cluster.crd_names) <= served
    for crd in crds["items"]:
        conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conds.get("Established") == "True", crd["metadata"]["name"]


def test_valid_object_is_accepted_and_defaulted(mgmt_cluster: ControlPlane, namespace: str) -> None:
    obj = machine_template(mgmt_cluster.generation, "ok")
    (stored,) = apply_manifests(mgmt_cluster.kubeconfig, [obj], namespace)
    assert stored["metadata"]["namespace"] == namespace
    assert stored["spec"]["template"]["spec"]["numCores"] == 2
    if mgmt_cluster.generation == "current":  # schema default filled in by the server
        assert stored["spec"]["template"]["spec"]["network"]["networkDevices"][0]["model"] == "virtio"


def test_unknown_field_is_rejected_by_strict_ssa(mgmt_cluster: ControlPlane, namespace: str) -> None:
    obj = machine_template(mgmt_cluster.generation, "typo", numCorez=4)
    with pytest.raises(KubeAPIError) as err:
        apply_manifests(mgmt_cluster.kubeconfig, [obj], namespace, strict=True)
    # kube-apiserver answers an SSA *create* that fails typed decoding with HTTP 500
    # ("failed to create typed patch object ..."); what matters is that it rejects it.
    assert err.value.status in (400, 422, 500)
    assert ".spec.template.spec.numCorez: field not declared in schema" in err.value.message
    client = KubeClient.from_kubeconfig(mgmt_cluster.kubeconfig)
    assert client.get_object(obj["apiVersion"], obj["kind"], "typo", namespace) is None
    # The same object with the field spelled right is accepted: the typo was the problem.
    fixed = machine_template(mgmt_cluster.generation, "typo", numCores=4)
    (stored,) = apply_manifests(mgmt_cluster.kubeconfig, [fixed], namespace, strict=True)
    assert stored["spec"]["template"]["spec"]["numCores"] == 4


def test_wrong_type_is_rejected(mgmt_cluster: ControlPlane, namespace: str) -> None:
    obj = machine_template(mgmt_cluster.generation, "badtype", numCores="four")
    with pytest.raises(KubeAPIError) as err:
        apply_manifests(mgmt_cluster.kubeconfig, [obj], namespace)
    assert err.value.status in (400, 422, 500)
    assert ".spec.template.spec.numCores: expected numeric (int or float), got string" in err.value.message
    client = KubeClient.from_kubeconfig(mgmt_cluster.kubeconfig)
    assert client.get_object(obj["apiVersion"], obj["kind"], "badtype", namespace) is None


def test_restricted_user_is_forbidden(mgmt_cluster: ControlPlane, namespace: str) -> None:
    alice = mgmt_cluster.user_kubeconfig("alice", groups=["tenant-a"])
    obj = machine_template(mgmt_cluster.generation, "by-alice")
    with pytest.raises(KubeAPIError) as err:
        apply_manifests(alice, [obj], namespace)
    assert err.value.status == 403
    assert 'User "alice" cannot patch resource "proxmoxmachinetemplates"' in err.value.message


def _write_chart(root: Path) -> Path:
    chart = root / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: tiny\nversion: 0.1.0\ndescription: harness smoke test chart\n"
    )
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    )
    return chart


def test_helm_install_list_uninstall(
    mgmt_cluster: ControlPlane, namespace: str, helm_bin: Path, tmp_path: Path
) -> None:
    chart = _write_chart(tmp_path)
    env = {
        **os.environ,
        "KUBECONFIG": str(mgmt_cluster.kubeconfig),
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
        "HELM_DATA_HOME": str(tmp_path / "helm-data"),
    }

    def helm(*args: str) -> str:
        proc = subprocess.run(
            [str(helm_bin), *args, "--namespace", namespace],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, f"helm {' '.join(args)} failed:\n{proc.stderr}"
        return proc.stdout

    helm("install", "smoke", str(chart), "--set", "greeting=hi")
    releases = json.loads(helm("list", "--output", "json"))
    assert [(r["name"], r["status"], r["chart"]) for r in releases] == [("smoke", "deployed", "tiny-0.1.0")]
    cm = mgmt_cluster.client.get_object("v1", "ConfigMap", "smoke-cm", namespace)
    assert cm is not None and cm["data"] == {"greeting": "hi"}

    helm("uninstall", "smoke", "--wait")
    assert json.loads(helm("list", "--output", "json")) == []
    assert mgmt_cluster.client.get_object("v1", "ConfigMap", "smoke-cm", namespace) is None


# -- cleanup: the harness must leave no etcd/kube-apiserver behind ------------------------------


def _start_harness_subprocess() -> tuple[subprocess.Popen[str], dict[str, int], dict[str, str], Path]:
    """Run ``python -m tests.harness`` and wait for READY; return its PIDs and workdir."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.harness", "--generation", "current"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    pids: dict[str, int] = {}
    kubeconfig = ""
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("pids:"):
            pids = {k: int(v) for k, v in (p.split("=") for p in line.split()[1:])}
        elif line.startswith("kubeconfig:"):
            kubeconfig = line.split(":", 1)[1].strip()
        elif line.strip() == "READY":
            break
    else:
        proc.kill()
    assert lines and lines[-1].strip() == "READY", "harness did not get ready:\n" + "".join(lines)
    assert set(pids) == {"etcd", "kube-apiserver"}
    starts = {n: Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[19] for n, p in pids.items()}
    for name, pid in pids.items():
        assert process_alive(pid, starts[name]), f"{name} ({pid}) not running while READY"
    return proc, pids, starts, Path(kubeconfig).parent


def _wait_gone(pids: dict[str, int], starts: dict[str, str], timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [n for n, p in pids.items() if process_alive(p, starts[n])]
        if not alive:
            return []
        time.sleep(0.1)
    return alive


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_harness_process_leaves_nothing_behind(harness_binaries: dict[str, Path], sig: int) -> None:
    proc, pids, starts, workdir = _start_harness_subprocess()
    try:
        if sig == signal.SIGINT:  # like Ctrl-C: the terminal signals the whole process group
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        rc = proc.wait(60)
        left = _wait_gone(pids, starts)
        assert left == [], f"still running after {signal.Signals(sig).name}: {left} ({pids})"
        if sig == signal.SIGKILL:
            assert rc == -signal.SIGKILL
            # A SIGKILLed owner cannot clean up; the next harness start reaps its folder.
            assert workdir in reap_stale_workdirs(workdir.parent)
            assert not workdir.exists()
        else:  # graceful paths also remove the work folder (certs, etcd data)
            assert rc == 0, proc.stdout.read() if proc.stdout else ""
            assert not workdir.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for name, pid in pids.items():  # never leak even when an assertion above failed
            if process_alive(pid, starts[name]):
                os.kill(pid, signal.SIGKILL)
