"""Differential tier: the real chart (``helm template``) against this tool's legacy generation.

Every difference must be on the commented allow-list in ``allowed.py``, which mirrors README's
"How it differs from the chart"; an unlisted one fails with its key path and both values. Both
renders must also pass the real API server with the legacy CRDs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tests.differential.allowed import ALLOWED, Case, allowed
from tests.differential.compare import differences, index
from tests.differential.corpus import CHART_VALUES, CORPUS, chart_values_files
from tests.differential.helm import helm_template
from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import KubeClient, apply_manifests
from tests.paths import REPO_ROOT
from tests.rendering import render_config

ITEMS: dict[str, dict[str, Any]] = {"chart-values": yaml.safe_load(CHART_VALUES.read_text()), **CORPUS}


def values_file(tmp: Path, name: str, values: dict[str, Any]) -> Path:
    """The chart's own file byte for byte; every other corpus entry as written here."""
    if name == "chart-values":
        return CHART_VALUES
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(values, sort_keys=False))
    return path


def renders(
    helm: Path, tmp: Path, name: str, values: dict[str, Any], namespace: str = "ns"
) -> tuple[list[Any], list[Any]]:
    chart = helm_template(helm, values_file(tmp, name, values), release="demo", namespace=namespace)
    ours = render_config(values, generation="legacy", release="demo", namespace=namespace)
    return chart, ours


def unlisted(chart: list[Any], ours: list[Any], values: dict[str, Any], used: set[int] | None = None) -> list[str]:
    case = Case(values=values, chart=index(chart), ours=index(ours))
    out = []
    for diff in differences(chart, ours):
        rule = allowed(diff, case)
        if rule is None:
            out.append(str(diff))
        elif used is not None:
            used.add(ALLOWED.index(rule))
    return out


@pytest.fixture(scope="module")
def corpus_diffs(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, list[str]], set[int]]:
    """Each corpus file's unlisted differences, and which rules the corpus exercised."""
    tmp = tmp_path_factory.mktemp("differential")
    used: set[int] = set()
    out = {name: unlisted(*renders(helm_bin, tmp, name, values), values, used) for name, values in ITEMS.items()}
    return out, used


# --------------------------------------------------------------------------- README <-> allow-list


def readme_titles() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## How it differs from the chart\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- \*\*(.+?)\.\*\*", section, flags=re.M)


def test_allow_list_mirrors_readme_section() -> None:
    titles = readme_titles()
    assert len(titles) == len(set(titles)), "duplicate README titles"
    assert sorted(titles) == sorted({r.title for r in ALLOWED})


# --------------------------------------------------------------------------- differences


@pytest.mark.integration
@pytest.mark.parametrize("name", list(ITEMS))
def test_every_difference_is_listed(corpus_diffs: tuple[dict[str, list[str]], set[int]], name: str) -> None:
    assert corpus_diffs[0][name] == []


@pytest.mark.integration
def test_every_listed_difference_occurs(corpus_diffs: tuple[dict[str, list[str]], set[int]]) -> None:
    """A rule no corpus file exercises is dead or mistyped (README-only entries have no kinds)."""
    dead = [f"{r.title}: {r.paths}" for i, r in enumerate(ALLOWED) if r.kinds and i not in corpus_diffs[1]]
    assert dead == []


@pytest.mark.integration
def test_an_unlisted_difference_names_path_and_values(helm_bin: Path, tmp_path: Path) -> None:
    values = ITEMS["chart-values"]
    chart, ours = renders(helm_bin, tmp_path, "chart-values", values)
    pmt = next(o for o in ours if o["kind"] == "ProxmoxMachineTemplate")
    pmt["spec"]["template"]["spec"]["memoryMiB"] = 4096
    (problem,) = unlisted(chart, ours, values)
    assert problem == (
        "ProxmoxMachineTemplate demo-default-proxmox-machine-template-<hash>: spec.template.spec.memoryMiB: "
        "chart 8192, this tool 4096"
    )


@pytest.mark.integration
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(values=chart_values_files())
def test_generated_files_differ_only_as_listed(helm_bin: Path, tmp_path: Path, values: dict[str, Any]) -> None:
    chart, ours = renders(helm_bin, tmp_path, "generated", values)
    assert unlisted(chart, ours, values) == []


# --------------------------------------------------------------------------- the real API server


def create_as_helm_does(client: KubeClient, objs: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """``helm install`` creates each object (POST); the server drops the chart's nulls itself."""
    out = []
    for obj in objs:
        path = client.object_path(obj["apiVersion"], obj["kind"], "", namespace)
        what = f"create {obj['kind']} {obj['metadata']['name']}"
        out.append(client.request("POST", path, json=obj, params={"fieldValidation": "Strict"}, what=what))
    return out


@pytest.mark.integration
@pytest.mark.parametrize("mgmt_cluster", ["legacy"], indirect=True)
def test_both_renders_pass_the_api_server(mgmt_cluster: ControlPlane, helm_bin: Path, tmp_path: Path) -> None:
    client = KubeClient.from_kubeconfig(mgmt_cluster.kubeconfig)
    for name, values in ITEMS.items():
        ns = mgmt_cluster.create_namespace("diff-chart")
        chart, _ = renders(helm_bin, tmp_path, name, values, namespace=ns)
        created = create_as_helm_does(client, chart, ns)
        assert [o["metadata"]["name"] for o in created] == [o["metadata"]["name"] for o in chart], name
        ns = mgmt_cluster.create_namespace("diff-ours")
        _, ours = renders(helm_bin, tmp_path, name, values, namespace=ns)
        stored = apply_manifests(mgmt_cluster.kubeconfig, ours, ns, strict=True)
        assert [o["metadata"]["name"] for o in stored] == [o["metadata"]["name"] for o in ours], name
