"""The public Python API: the same objects, bytes and problems as the CLI, and a light import."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import pytest

from capi_kamaji_proxmox import api
from capi_kamaji_proxmox.values.load import read_values_file
from tests.rendering import EXAMPLES, LEGACY_FLAGS, REPO, cli


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_render_and_to_yaml_print_what_template_prints(example: Any) -> None:
    values = read_values_file(str(example))
    out = cli("template", "demo", "-f", str(example), "-n", "clusters", *[f"--api-versions={f}" for f in LEGACY_FLAGS])
    assert out.returncode == 0, out.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", api.ValuesWarning)
        objects = api.render(values, release_name="demo", namespace="clusters", api_versions=LEGACY_FLAGS)
    assert api.to_yaml(objects) == out.stdout
    assert api.validate(values) == []


def test_render_accepts_any_mapping_and_returns_fresh_objects() -> None:
    values = MappingProxyType({"cluster": OrderedDict(name="prod"), "nodePools": ({"name": "w", "replicas": 2},)})
    first = api.render(values, release_name="r")
    assert {o["kind"] for o in first} >= {"Cluster", "MachineDeployment", "KamajiControlPlane"}
    cluster = next(o for o in first if o["kind"] == "Cluster")
    assert cluster["metadata"] == {"name": "prod", "namespace": "default"} | {
        k: v for k, v in cluster["metadata"].items() if k not in ("name", "namespace")
    }
    cluster["metadata"]["name"] = "changed"
    assert next(o for o in api.render(values, release_name="r") if o["kind"] == "Cluster")["metadata"]["name"] == "prod"


BAD = {
    "clutser": {},
    "nodePools": [{"name": "w", "replicas": "three"}],
}


def test_every_problem_with_its_key_path() -> None:
    with pytest.raises(api.InvalidValues) as err:
        api.render(BAD, release_name="demo")
    assert sorted(err.value.problems, key=str) == [
        api.Problem("clutser", "unknown key; did you mean 'cluster'?"),
        api.Problem("nodePools[0].replicas", "expected an integer, got 'three'"),
    ]
    # The very lines `lint` prints, in the same order.
    lint = cli("lint", "demo", "-f", "-", stdin=json.dumps(BAD))
    assert lint.returncode == 2
    assert [f"error: {p}" for p in err.value.problems] == lint.stderr.splitlines()
    assert str(err.value) == "\n".join(str(p) for p in err.value.problems)
    assert api.validate(BAD, release_name="demo") == err.value.problems


def test_cross_field_problems_and_names_that_are_not_keys() -> None:
    values = {"nodePools": [{"name": "a", "memoryMiB": 1001, "machineHealthCheck": {"enabled": True}}]}
    problems = api.validate(values, release_name="r" * 60)
    assert api.Problem("nodePools[0].memoryMiB", "expected a positive multiple of 8, got 1001") in problems
    too_long = [p for p in problems if "over the limit of 63" in p.message]
    assert len(too_long) == 3 and all(p.path == "" and " name" in p.message.split(":")[0] for p in too_long)


def test_bad_api_versions_and_non_mapping_values() -> None:
    with pytest.raises(api.InvalidValues) as err:
        api.render({}, release_name="d", api_versions=["nonsense"])
    assert err.value.problems == [
        api.Problem("", "--api-versions 'nonsense': expected GROUP/VERSION or GROUP/VERSION/Kind")
    ]
    with pytest.raises(api.InvalidValues) as err:
        api.render(["a"], release_name="d")  # type: ignore[arg-type]
    assert err.value.problems == [api.Problem("", "values must be a mapping, got list")]


def test_values_warnings_are_python_warnings() -> None:
    values = {"nodePools": [{"name": "w", "replicas": 1, "templateId": 100, "templateSelector": {"matchTags": ["x"]}}]}
    with pytest.warns(api.ValuesWarning, match="templateId wins"):
        api.render(values, release_name="d")


def test_importing_the_api_loads_no_client() -> None:
    code = (
        "import sys, capi_kamaji_proxmox.api\n"
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0] in ('lightkube', 'httpx2', 'httpx') "
        "or m.startswith(tuple('capi_kamaji_proxmox.' + p for p in "
        "('kube', 'proxmox', 'lifecycle', 'release', 'observe', 'preflight', 'cli')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == ""


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO / "README.md").read_text()
    code = readme.split("## Python API", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("---\n") and "kind: MachineDeployment" in out and "namespace: clusters" in out
