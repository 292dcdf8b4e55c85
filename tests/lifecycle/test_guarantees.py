"""Issue 10's smaller guarantees through the CLI: dry runs write nothing, foreign releases are not
ours, refused deletes do not fail a complete apply, notes and diffs say the right thing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.lifecycle.conftest import EXAMPLE, Tool
from tests.lifecycle.test_lifecycle import CORE, INFRA

pytestmark = pytest.mark.integration

F = ["-f", str(EXAMPLE), "--skip-preflight"]
MEMORY = ["--set", "nodePools[0].memoryMiB=16384"]


def test_rollback_dry_run_writes_nothing(tool: Tool) -> None:
    """Item 1: it used to create a deployed revision and apply and delete objects."""
    gen = tool.cluster.generation
    tool.ok("install", "demo", *F)
    tool.ok("upgrade", "demo", *F, *MEMORY)
    before = tool.json("history", "demo")
    md = tool.get(CORE[gen], "MachineDeployment", "demo-default-md")
    templates = tool.names(INFRA[gen], "ProxmoxMachineTemplate")
    result = tool.ok("rollback", "demo", "1", "--dry-run")
    assert "nothing was written" in result.stdout
    assert "dry run: would apply" in result.stderr
    assert tool.json("history", "demo") == before
    assert tool.get(CORE[gen], "MachineDeployment", "demo-default-md")["spec"] == md["spec"]
    assert tool.names(INFRA[gen], "ProxmoxMachineTemplate") == templates


def _helm(helm_bin: Path, tool: Tool, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(tool.kubeconfig), "HELM_DRIVER": "secret"}
    return subprocess.run([str(helm_bin), *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_foreign_helm_release_is_refused_by_every_writing_verb(tool: Tool, helm_bin: Path, tmp_path: Path) -> None:
    """Item 2: `upgrade web` used to delete the app's Deployment, Service, ServiceAccount."""
    assert _helm(helm_bin, tool, "create", str(tmp_path / "c")).returncode == 0
    installed = _helm(helm_bin, tool, "install", "web", str(tmp_path / "c"), "-n", tool.namespace)
    assert installed.returncode == 0, installed.stderr
    for verb in (["upgrade", "web", *F], ["install", "web", *F], ["rollback", "web"], ["uninstall", "web"],
                 ["upgrade", "web", *F, "--install"], ["diff", "web", "-f", str(EXAMPLE)]):  # fmt: skip
        result = tool(*verb)
        assert result.returncode == 1, (verb, result.stderr)
        assert result.stderr.splitlines()[-1] == (
            f"error: cannot {verb[0]} release 'web' in namespace '{tool.namespace}': it was installed from chart "
            "c-0.1.0, not capi-kamaji-proxmox; this tool only changes its own releases (manage that one with helm), "
            "nothing was written"
        ), result.stderr
    for api, kind in (("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ServiceAccount")):
        assert tool.exists(api, kind, "web-c"), kind
    assert not tool.exists(CORE[tool.cluster.generation], "Cluster", "web")
    history = yaml.safe_load(_helm(helm_bin, tool, "history", "web", "-n", tool.namespace, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "deployed")]


def test_a_forbidden_delete_after_a_complete_apply_is_reported_not_failed(tool: Tool) -> None:
    """Item 8: the revision is deployed, says what was not deleted, and keeps it for the next operation."""
    gen = tool.cluster.generation
    role = next(yaml.safe_load_all((Path(__file__).resolve().parents[2] / "docs" / "rbac.yaml").read_text()))
    for rule in role["rules"]:  # the documented Role, minus deleting machine templates
        if "proxmoxmachinetemplates" in rule["resources"]:
            rule["resources"] = [r for r in rule["resources"] if r != "proxmoxmachinetemplates"]
            role["rules"].append({**rule, "resources": ["proxmoxmachinetemplates"],
                                  "verbs": [v for v in rule["verbs"] if v != "delete"]})  # fmt: skip
            break
    role["metadata"]["name"] = "no-template-delete"
    tool.apply(role)
    tool.apply({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "carol"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "no-template-delete"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "carol"}],
    })  # fmt: skip
    carol = tool.cluster.user_kubeconfig("carol")
    tool.ok("install", "demo", *F, kubeconfig=carol)
    (old,) = tool.names(INFRA[gen], "ProxmoxMachineTemplate")
    up = tool.ok("upgrade", "demo", *F, *MEMORY, kubeconfig=carol)
    assert f"warning: not deleted: ProxmoxMachineTemplate {old}: forbidden" in up.stderr
    last = tool.json("history", "demo")[-1]
    assert last["status"] == "deployed"
    assert last["description"] == f"Upgrade complete; not deleted: ProxmoxMachineTemplate {old}"
    manifest = [o for o in yaml.safe_load_all(tool.ok("get", "manifest", "demo").stdout) if o]
    assert old in [o["metadata"]["name"] for o in manifest if o["kind"] == "ProxmoxMachineTemplate"]
    # a user who may delete it: the next operation finishes the job
    tool.ok("upgrade", "demo", *F, *MEMORY)
    assert old not in tool.names(INFRA[gen], "ProxmoxMachineTemplate")


def test_upgrade_notes_say_updated(tool: Tool) -> None:
    """Item 8: the notes said "is being created" on upgrades."""
    tool.ok("install", "demo", *F)
    assert "is being created" in tool.ok("get", "notes", "demo").stdout
    tool.ok("upgrade", "demo", *F, *MEMORY)
    notes = tool.ok("get", "notes", "demo").stdout
    assert "Cluster 'demo' is being updated in namespace" in notes


def test_diff_does_not_report_a_server_default(tool: Tool) -> None:
    """Item 8: `templateSelector.matchPolicy exact -> (unset)` was reported as a change (a server default)."""
    # (legacy CAPMOX has no matchPolicy: there the same diff must simply not mention it either)
    pool = ["--set", "nodePools[0].name=default,nodePools[0].templateSelector.matchTags[0]=capi", "--skip-preflight"]
    tool.ok("install", "demo", *pool)
    d = tool("diff", "demo", *pool[:2], "--set", "nodePools[0].memoryMiB=16384")
    assert d.returncode == 2, d.stderr
    first = d.stdout.splitlines()[0]
    assert first.startswith("pool default: ProxmoxMachineTemplate replaced (memoryMiB "), first
    assert "matchPolicy" not in first
