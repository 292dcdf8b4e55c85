"""`template`, `values`, `lint`, `completion` and `--version` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from capi_kamaji_proxmox import __version__
from tests.rendering import EXAMPLES, REPO, cli


def test_template_json_is_a_list_of_objects() -> None:
    result = cli("template", "demo", "-f", str(EXAMPLES[0]), "-o", "json")
    assert result.returncode == 0, result.stderr
    objs = json.loads(result.stdout)
    assert [o["kind"] for o in objs][:2] == ["ProxmoxCluster", "KamajiControlPlane"]


def test_several_files_and_set_merge_like_helm(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("nodePools:\n  - name: web\n    replicas: 2\n    memoryMiB: 4096\n")
    two = tmp_path / "two.yaml"
    two.write_text("cluster:\n  controlPlane:\n    labels: null\n")
    result = cli(
        "template",
        "x",
        "-f",
        str(one),
        "-f",
        str(two),
        "--set",
        "nodePools[0].replicas=5",
        "--set-string",
        "cluster.controlPlane.dataStoreName=007",
        "-o",
        "json",
    )
    assert result.returncode == 0, result.stderr
    objs = {o["kind"]: o for o in json.loads(result.stdout)}
    assert objs["MachineDeployment"]["spec"]["replicas"] == 5
    assert objs["ProxmoxMachineTemplate"]["spec"]["template"]["spec"]["memoryMiB"] == 4096
    assert "cni" not in objs["KamajiControlPlane"]["metadata"]["labels"]  # null deleted the default
    assert objs["KamajiControlPlane"]["spec"]["dataStoreName"] == "007"


def test_namespace_from_kubeconfig_then_flag(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "contexts": [
                    {"name": "c", "context": {"cluster": "k", "user": "u", "namespace": "team-a"}},
                    {"name": "d", "context": {"cluster": "k", "user": "u"}},
                ],
            }
        )
    )
    env = {"KUBECONFIG": str(kubeconfig), "PATH": "/usr/bin:/bin"}
    out = cli("template", "x", "-o", "json", env=env)
    assert {o["metadata"]["namespace"] for o in json.loads(out.stdout)} == {"team-a"}
    out = cli("template", "x", "-o", "json", "--context", "d", env=env)
    assert {o["metadata"]["namespace"] for o in json.loads(out.stdout)} == {"default"}
    out = cli("template", "x", "-o", "json", "-n", "team-b", env=env)
    assert {o["metadata"]["namespace"] for o in json.loads(out.stdout)} == {"team-b"}


def test_invalid_values_exit_2_one_line_per_problem_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodePools:\n  - name: w\n    replicas: 1\n    numCorez: 4\n    memoryMiB: seven\n")
    result = cli("template", "demo", "-f", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: nodePools[0].memoryMiB: expected an integer, got 'seven'",
        "error: nodePools[0].numCorez: unknown key; did you mean 'nodePools[0].numCores'?",
    ]


def test_yaml_error_names_file_line_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cluster:\n  name: demo\n   version: v1\n")
    result = cli("lint", "-f", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {bad}:3:")
    assert "Traceback" not in result.stderr


def test_bad_api_versions_flag() -> None:
    result = cli("template", "demo", "--api-versions", "nonsense")
    assert result.returncode == 2
    assert result.stderr == "error: --api-versions 'nonsense': expected GROUP/VERSION or GROUP/VERSION/Kind\n"


def test_api_versions_group_without_renderable_version() -> None:
    result = cli("template", "demo", "--api-versions", "controlplane.cluster.x-k8s.io/v1beta2")
    assert result.returncode == 2
    assert result.stderr == (
        "error: the Kamaji control-plane provider does not serve KamajiControlPlane in a version this tool "
        "renders (controlplane.cluster.x-k8s.io/v1alpha2, controlplane.cluster.x-k8s.io/v1alpha1)\n"
    )


def test_mixed_stack_per_kind() -> None:
    result = cli("template", "demo", "-o", "json", "--api-versions", "controlplane.cluster.x-k8s.io/v1alpha1")
    kinds = {o["kind"]: o["apiVersion"] for o in json.loads(result.stdout)}
    assert kinds["KamajiControlPlane"] == "controlplane.cluster.x-k8s.io/v1alpha1"
    assert kinds["Cluster"] == "cluster.x-k8s.io/v1beta2"


def test_lint_warns_and_passes_on_chart_values() -> None:
    result = cli("lint", "-f", str(REPO / "examples" / "chart-defaults.yaml"))
    assert result.returncode == 0
    assert "templateId wins" in result.stderr
    assert result.stdout == "values are valid (1 node pool(s))\n"


def test_values_show_is_the_defaults_and_parses() -> None:
    result = cli("values", "show")
    assert result.returncode == 0
    shown = yaml.safe_load(result.stdout)
    from capi_kamaji_proxmox.values.defaults import DEFAULTS

    assert shown == DEFAULTS
    assert "# -- Kubernetes version (vX.Y.Z)." in result.stdout


def test_values_schema_matches_committed_file() -> None:
    result = cli("values", "schema")
    assert result.returncode == 0
    committed = (REPO / "values.schema.json").read_text()
    assert result.stdout == committed, "run: capi-kamaji-proxmox values schema > values.schema.json"


def test_schema_validates_examples_and_catches_typos() -> None:
    import jsonschema

    schema = json.loads((REPO / "values.schema.json").read_text())
    for example in EXAMPLES:
        jsonschema.validate(yaml.safe_load(example.read_text()), schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors({"nodePools": [{"name": "a", "numCorez": 1}]}))
    assert errors and "numCorez" in errors[0].message


def test_version_and_alias() -> None:
    assert cli("--version").stdout == f"capi-kamaji-proxmox {__version__}\n"


def complete(script: str, *words: str) -> list[str]:
    """Ask bash itself what the completion script offers after ``words``."""
    import subprocess

    line = " ".join(words)
    prog = f"""{script}
COMP_WORDS=(ckp {line}); COMP_CWORD={len(words)}; _ckp_complete; echo "${{COMPREPLY[@]}}"
"""
    out = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_completion_bash_completes_commands_and_flags() -> None:
    result = cli("completion", "bash")
    assert result.returncode == 0
    assert complete(result.stdout, "te") == ["template"]
    assert complete(result.stdout, "template", "demo", "--api") == ["--api-versions"]
    assert complete(result.stdout, "values", "s") == ["schema", "show"]
    assert complete(result.stdout, "completion", "") == ["--help", "bash", "zsh"]


def test_unknown_command_is_a_usage_error() -> None:
    result = cli("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_readme_values_reference_in_sync() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- values-reference:start -->\n") + len("<!-- values-reference:start -->\n")
    end = readme.index("<!-- values-reference:end -->")
    assert readme[start:end] == cli("values", "reference").stdout, "regenerate with `values reference`"


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (REPO / "README.md").read_text().splitlines()
    block = readme[readme.index("```sh") + 1 : readme.index("```", readme.index("```sh") + 1)]
    assert block == [
        "pip install -e . && capi-kamaji-proxmox template demo -f examples/chart-defaults.yaml",
        "pip install -e '.[test]' && python -m pytest",
    ]
    ci = (REPO / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and "pip install -e '.[test]'" in ci


def test_set_file_on_every_command_that_takes_set(tmp_path: Path) -> None:
    manifest = tmp_path / "calico.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: calico-system}\n")
    lint = cli("lint", "--set", "addons.cni.provider=calico", "--set-file", f"addons.cni.manifest={manifest}")
    assert lint.returncode == 0, lint.stderr
    for command in ("template", "lint", "install", "upgrade", "diff", "doctor"):
        helped = cli(command, "--help")
        assert "--set-file K=PATH" in helped.stdout, command
    missing = cli("lint", "--set-file", f"addons.cni.manifest={tmp_path / 'nope.yaml'}")
    assert missing.returncode == 2 and "--set-file addons.cni.manifest=" in missing.stderr
    assert "cannot read file" in missing.stderr and "Traceback" not in missing.stderr
