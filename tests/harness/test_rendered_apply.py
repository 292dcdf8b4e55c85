"""Smoke test 1: every object `template` renders for the shipped examples is accepted by the real
API server (server-side apply, fieldValidation=Strict), each generation with its --api-versions.
ServiceMonitors included: the harness installs the Prometheus operator's CRD from ../shared/crds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.cluster import ControlPlane
from tests.harness.kubeapply import apply_manifests
from tests.rendering import EXAMPLES, GENERATION_FLAGS, NOT_IN_CRDS, cli

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_rendered_examples_accepted_by_real_server(mgmt_cluster: ControlPlane, namespace: str, example: Path) -> None:
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
