"""What the CLI imports at start: `--help` and commands that need no values stay light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rendering import REPO

HEAVY = ("pydantic", "yaml", "lightkube", "httpx2", "capi_kamaji_proxmox.values.model", "capi_kamaji_proxmox.render")


def imported_by(*argv: str, env: dict[str, str] | None = None) -> set[str]:
    code = (
        "import sys\n"
        "from capi_kamaji_proxmox.cli.main import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True, env=env)
    return set(out.stderr.split())


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["template", "--help"],
        ["install", "--help"],
        ["completion", "bash"],
        ["values", "show"],
        ["values", "schema"],
        ["values", "reference"],
    ],
)
def test_help_and_completion_load_no_model_and_no_client(argv: list[str]) -> None:
    loaded = imported_by(*argv)
    assert not {m for m in loaded if m.startswith(HEAVY)}


def test_template_loads_no_kubernetes_or_proxmox_client() -> None:
    loaded = imported_by("template", "demo")
    assert "capi_kamaji_proxmox.render.engine" in loaded  # it did render
    assert not {m for m in loaded if m.startswith(("lightkube", "httpx2", "capi_kamaji_proxmox.kube"))}
    assert "difflib" not in loaded  # only invalid values need "did you mean"


def test_template_of_the_chart_defaults_loads_no_yaml_library(tmp_path: Path) -> None:
    """No values file and no kubeconfig to read: the direct writer needs no PyYAML (start-up)."""
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "absent")}
    loaded = imported_by("template", "demo", env=env)
    assert "capi_kamaji_proxmox.render.emit" in loaded  # it did write YAML
    assert not {m for m in loaded if m.startswith("yaml")}
    # a kubeconfig to read (for its namespace) is parsed with PyYAML
    (tmp_path / "config").write_text("apiVersion: v1\nkind: Config\ncontexts: []\n")
    with_kubeconfig = imported_by("template", "demo", env={**env, "KUBECONFIG": str(tmp_path / "config")})
    assert "yaml" in with_kubeconfig


MODEL = ("pydantic", "capi_kamaji_proxmox.values.model")


@pytest.mark.parametrize("example", ["chart-defaults.yaml", "multi-pool.yaml"])
def test_template_of_valid_values_loads_neither_pydantic_nor_the_model(example: str) -> None:
    loaded = imported_by("template", "demo", "-f", str(REPO / "examples" / example))
    assert "capi_kamaji_proxmox.render.engine" in loaded  # it did render
    assert not {m for m in loaded if m.startswith(MODEL)}


def test_invalid_values_load_pydantic_which_words_the_problems() -> None:
    loaded = imported_by("template", "demo", "--set", "nodePools[0].replicas=-1")
    assert {"pydantic", "capi_kamaji_proxmox.values.model"} <= loaded
