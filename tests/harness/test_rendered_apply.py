"""Smoke test 1: every object `template` renders for the shipped examples is accepted by the real
API server (server-side apply, fieldValidation=Strict), each generation with its --api-versions.
ServiceMonitors included: the harness installs the Prometheus operator's CRD from ../shared/crds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.differential.corpus import CHART_VALUES, EVERY_KEY
from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import apply_manifests
from tests.rendering import EXAMPLES, GENERATION_FLAGS, NOT_IN_CRDS, cli

pytestmark = pytest.mark.integration


FILES = [*EXAMPLES, CHART_VALUES, "every-key"]
IDS = [*(p.stem for p in EXAMPLES), "chart-values-unchanged", "every-chart-key"]


@pytest.mark.parametrize("example", FILES, ids=IDS)
def test_rendered_examples_accepted_by_real_server(
    mgmt_cluster: ControlPlane, namespace: str, example: Path | str, tmp_path: Path
) -> None:
    if example == "every-key":  # every key of the chart's values file, set to a non-default value
        example = tmp_path / "every-key.yaml"
        example.write_text(yaml.safe_dump(EVERY_KEY))
    args = ["template", "demo", "-f", str(example), "-n", namespace, "-o", "json"]
    for flag in GENERATION_FLAGS[mgmt_cluster.generation]:
        args += ["--api-versions", flag]
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    objs = json.loads(result.stdout)
    stored = apply_manifests(mgmt_cluster.kubeconfig, objs, namespace, strict=True)
    assert [o["metadata"]["name"] for o in stored] == [o["metadata"]["name"] for o in objs]
    assert {o["kind"] for o in objs} - NOT_IN_CRDS, "the example rendered no CRD kinds"
    for sent, got in zip(objs, stored, strict=True):
        assert got["apiVersion"] == sent["apiVersion"]
        if "spec" in sent:
            # Nothing we sent was pruned: every key we rendered is stored.
            assert set(sent["spec"]) <= set(got["spec"]), sent["kind"]


def test_harness_serves_service_monitors(mgmt_cluster: ControlPlane) -> None:
    assert "servicemonitors.monitoring.coreos.com" in mgmt_cluster.crd_names
