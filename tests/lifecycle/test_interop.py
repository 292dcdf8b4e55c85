"""Helm interop both ways with the real helm binary, adoption of a Clastix chart release, and RBAC."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.lifecycle.conftest import EXAMPLE, Tool
from tests.rendering import REPO
from tests.schema.crd_validator import shared_dir

pytestmark = pytest.mark.integration


def helm(helm_bin: Path, tool: Tool, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(tool.kubeconfig), "HELM_DRIVER": "secret"}
    return subprocess.run(
        [str(helm_bin), *args, "-n", tool.namespace], capture_output=True, text=True, env=env, timeout=120
    )


def test_helm_reads_and_operates_our_release(tool: Tool, helm_bin: Path) -> None:
    gen = tool.cluster.generation
    core = "cluster.x-k8s.io/v1beta2" if gen == "current" else "cluster.x-k8s.io/v1beta1"
    tool.ok("install", "demo", "--skip-preflight")
    tool.ok("upgrade", "demo", "--skip-preflight", "--set", "nodePools[0].name=default,nodePools[0].replicas=2")
    listed = helm(helm_bin, tool, "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    (entry,) = yaml.safe_load(listed.stdout)
    assert (entry["name"], entry["revision"], entry["status"]) == ("demo", "2", "deployed")
    assert entry["chart"].startswith("capi-kamaji-proxmox-")
    hist = yaml.safe_load(helm(helm_bin, tool, "history", "demo", "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in hist] == [(1, "superseded"), (2, "deployed")]
    values = yaml.safe_load(helm(helm_bin, tool, "get", "values", "demo", "-o", "yaml").stdout)
    assert values == {"nodePools": [{"name": "default", "replicas": 2}]}
    manifest = helm(helm_bin, tool, "get", "manifest", "demo").stdout
    assert manifest.rstrip() == tool.ok("get", "manifest", "demo").stdout.rstrip()
    # helm rolls our release back: revision 3, replicas 1 again, and we read helm's record
    rb = helm(helm_bin, tool, "rollback", "demo", "1")
    assert rb.returncode == 0, rb.stderr
    assert tool.get(core, "MachineDeployment", "demo-default-md")["spec"]["replicas"] == 1
    assert [(h["revision"], h["status"]) for h in tool.json("history", "demo")][-1] == (3, "deployed")
    # and we can continue from helm's revision
    tool.ok("upgrade", "demo", "--skip-preflight", "--reuse-values", "--set", "nodePools[0].replicas=3")
    assert tool.get(core, "MachineDeployment", "demo-default-md")["spec"]["replicas"] == 3
    # helm uninstalls what we installed: objects and records go
    un = helm(helm_bin, tool, "uninstall", "demo")
    assert un.returncode == 0, un.stderr
    assert tool.names(core, "Cluster") == []
    assert tool.json("list") == []


def test_we_read_a_helm_release(tool: Tool, helm_bin: Path, tmp_path: Path) -> None:
    chart = tmp_path / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 1.2.3\nappVersion: '9.9'\n")
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tiny\ndata:\n  greeting: {{ .Values.greeting }}\n"
    )
    assert helm(helm_bin, tool, "install", "tiny", str(chart), "--set", "greeting=hi").returncode == 0
    (rel,) = tool.json("list")
    assert (rel["name"], rel["chart"], rel["app_version"], rel["status"]) == ("tiny", "tiny-1.2.3", "9.9", "deployed")
    assert yaml.safe_load(tool.ok("get", "values", "tiny").stdout) == {"greeting": "hi"}
    assert yaml.safe_load(tool.ok("get", "values", "tiny", "--all").stdout) == {"greeting": "hi"}
    assert "name: tiny" in tool.ok("get", "manifest", "tiny").stdout


def _chart_fixture(tmp_path: Path, namespace: str) -> Path:
    """A chart whose only template is the Clastix chart's real output for its default values."""
    chart = tmp_path / "capi-kamaji-proxmox"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: capi-kamaji-proxmox\nversion: 0.0.4\nappVersion: 1.31.4\n")
    text = (shared_dir() / "docs" / "api-generations-check" / "legacy-chart-default.yaml").read_text()
    # The fixture was rendered into namespace "default"; the test release lives in its own namespace.
    text = text.replace("namespace: default", f"namespace: {namespace}")
    # Served verbatim through .Files.Get: the output holds cloud-init's own {{ }} expressions.
    (chart / "files").mkdir()
    (chart / "files" / "all.yaml").write_text(text)
    (chart / "templates" / "all.yaml").write_text('{{ .Files.Get "files/all.yaml" }}\n')
    return chart


# The chart's output (KamajiControlPlane v1alpha1) installs only on the legacy providers.
@pytest.mark.parametrize("mgmt_cluster", ["legacy"], indirect=True)
def test_adopt_a_clastix_chart_release(tool: Tool, helm_bin: Path, tmp_path: Path) -> None:
    installed = helm(helm_bin, tool, "install", "demo", str(_chart_fixture(tmp_path, tool.namespace)))
    assert installed.returncode == 0, installed.stderr
    pmt = "demo-default-proxmox-machine-template-868c6529"
    kct = "demo-default-kubeadmconfig-fb144314"
    # The seed's equivalent values: the chart defaults (its secret name is the one the chart used).
    d = tool("diff", "demo", "-f", str(EXAMPLE))
    assert "pool default: no machine is replaced" in d.stdout, d.stdout + d.stderr
    up = tool.ok("upgrade", "demo", "-f", str(EXAMPLE), "--skip-preflight")
    assert f"reusing live templates with identical spec: {kct}, {pmt}" in up.stderr
    md = tool.get("cluster.x-k8s.io/v1beta1", "MachineDeployment", "demo-default-md")
    assert md["spec"]["template"]["spec"]["infrastructureRef"]["name"] == pmt
    assert md["spec"]["template"]["spec"]["bootstrap"]["configRef"]["name"] == kct
    assert tool.names("infrastructure.cluster.x-k8s.io/v1alpha1", "ProxmoxMachineTemplate") == [pmt]
    assert tool.names("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfigTemplate") == [kct]
    # what the chart got wrong is fixed on adoption: the pool's own selector, the address overlap
    assert md["spec"]["selector"]["matchLabels"]["cluster.x-k8s.io/deployment-name"] == "demo-default-md"
    pool = tool.get("ipam.cluster.x-k8s.io/v1alpha2", "InClusterIPPool", "demo-ipam-ip-pool")
    assert pool["spec"]["excludedAddresses"] == ["192.168.100.10"]
    hist = tool.json("history", "demo")
    assert [(h["revision"], h["status"], h["chart"]) for h in hist] == [
        (1, "superseded", "capi-kamaji-proxmox-0.0.4"),
        (2, "deployed", hist[1]["chart"]),
    ]
    assert hist[1]["chart"] != "capi-kamaji-proxmox-0.0.4"
    # helm still reads the adopted release
    assert yaml.safe_load(helm(helm_bin, tool, "history", "demo", "-o", "json").stdout)[-1]["status"] == "deployed"


def _bind(tool: Tool, user: str) -> None:
    role = next(yaml.safe_load_all((REPO / "docs" / "rbac.yaml").read_text()))  # the Role, not the optional rest
    tool.apply(role)
    tool.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"ckp-{user}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        }
    )


def test_role_from_docs_is_enough_for_every_verb(tool: Tool) -> None:
    _bind(tool, "alice")
    alice = tool.cluster.user_kubeconfig("alice")
    metrics = ["--set", "cluster.metrics.enabled=false"]
    run: list[tuple[str, ...]] = [
        ("install", "demo", "--skip-preflight", *metrics),
        ("diff", "demo", "--set", "nodePools[0].name=default,nodePools[0].memoryMiB=4096"),
        ("upgrade", "demo", "--skip-preflight", "--set", "nodePools[0].name=default,nodePools[0].memoryMiB=4096"),
        ("history", "demo"),
        ("get", "values", "demo"),
        ("get", "manifest", "demo"),
        ("list",),
        ("status",),
        ("describe", "demo"),
        ("rollback", "demo", "1"),
        ("uninstall", "demo"),
    ]
    for args in run:
        result = tool(*args, kubeconfig=alice)
        assert result.returncode in (0, 2), f"{args}: {result.stderr}"  # diff exits 2 on changes


def test_without_permissions_a_clear_forbidden(tool: Tool) -> None:
    bob = tool.cluster.user_kubeconfig("bob")
    result = tool("install", "demo", "--skip-preflight", kubeconfig=bob)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("error: forbidden: secrets is forbidden: ")
    assert 'User "bob" cannot list resource "secrets"' in result.stderr
    result = tool("history", "demo", kubeconfig=bob)
    assert result.returncode == 1 and 'cannot list resource "secrets"' in result.stderr
