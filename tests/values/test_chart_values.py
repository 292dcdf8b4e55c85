"""The chart's own values file and the chart's readings of its keys (issue 9), through the public API."""

from __future__ import annotations

from typing import Any

import pytest

from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import load_values, validate_config
from tests.paths import shared_dir
from tests.rendering import GENERATION_FLAGS, cli

CHART_VALUES = shared_dir() / "anchors" / "capi-kamaji-proxmox-0.0.4" / "values.yaml"


def pool_of(config: dict[str, Any]) -> Any:
    loaded = validate_config(config, release_name="demo")
    assert loaded.values.node_pools is not None
    return loaded.values.node_pools[0], loaded.warnings


def test_chart_values_file_loads_with_chart_readings() -> None:
    loaded = load_values([str(CHART_VALUES)], release_name="demo")
    secret = loaded.values.proxmox.secret if loaded.values.proxmox else None
    # The chart reads proxmox.secret only; its file's credentialsRef names another Secret.
    assert secret is not None and (secret.name, secret.namespace) == ("proxmox-secret", "")
    assert loaded.warnings == [
        "cluster.credentialsRef: ignored because proxmox.secret is set (the chart reads only proxmox.secret); "
        "name 'sample-proxmox-secret', namespace 'default' not used — remove cluster.credentialsRef to "
        "silence this warning",
        "nodePools[0]: both templateId and templateSelector are set; templateId wins (as with the chart) and "
        "templateSelector is ignored — remove one to silence this warning",
    ]


def test_credentials_ref_alone_names_the_secret() -> None:
    loaded = validate_config({"cluster": {"credentialsRef": {"name": "pve", "namespace": "capi"}}}, release_name="d")
    secret = loaded.values.proxmox.secret if loaded.values.proxmox else None
    assert secret is not None and (secret.name, secret.namespace) == ("pve", "capi")
    assert loaded.warnings == []


def test_source_node_with_selector_keeps_the_selector() -> None:
    pool, warnings = pool_of(
        {"nodePools": [{"name": "g", "sourceNode": "pve2", "templateSelector": {"matchTags": ["ubuntu"]}}]}
    )
    assert pool.template_id is None
    assert pool.template_selector is not None and pool.template_selector.match_tags == ["ubuntu"]
    assert warnings == [
        "nodePools[0].sourceNode: not rendered with templateSelector (CAPMOX clones the template the tags select, "
        "and rejects sourceNode next to a selector) — remove sourceNode to silence this warning"
    ]


@pytest.mark.parametrize("template_id", [0, ""])
def test_template_id_zero_or_empty_means_use_the_selector(template_id: Any) -> None:
    pool, warnings = pool_of(
        {"nodePools": [{"name": "g", "templateId": template_id, "templateSelector": {"matchTags": ["u"]}}]}
    )
    assert pool.template_id is None and pool.template_selector is not None
    assert warnings == []


def test_template_id_zero_without_selector_is_no_template() -> None:
    with pytest.raises(ValuesError) as err:
        validate_config({"nodePools": [{"name": "g", "templateId": 0}]}, release_name="d")
    assert err.value.problems == ["nodePools[0]: no VM template; set templateId with sourceNode, or templateSelector"]


def test_replicas_on_autoscaled_pool_is_reported_not_dropped_silently() -> None:
    # The chart README's example: replicas 3 with minSize 2.
    pool, warnings = pool_of(
        {"nodePools": [{"name": "a", "replicas": 3, "autoscaling": {"enabled": True, "minSize": 2, "maxSize": 5}}]}
    )
    assert pool.replicas == 3
    assert warnings == [
        "nodePools[0].replicas: 3 is not rendered on an autoscaled pool; Cluster API starts the pool at minSize (2) "
        "and the autoscaler owns the count — set autoscaling.minSize to change the starting size, or remove "
        "replicas to silence this warning"
    ]


def test_replicas_equal_to_min_size_is_quiet() -> None:
    _, warnings = pool_of(
        {"nodePools": [{"name": "a", "replicas": 2, "autoscaling": {"enabled": True, "minSize": 2, "maxSize": 5}}]}
    )
    assert warnings == []


@pytest.mark.parametrize("generation", list(GENERATION_FLAGS))
def test_chart_values_file_unchanged_renders_through_the_cli(generation: str) -> None:
    args = ["template", "demo", "-f", str(CHART_VALUES)]
    for flag in GENERATION_FLAGS[generation]:
        args += ["--api-versions", flag]
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning: ") == 2  # credentialsRef ignored; templateId wins over the selector
    assert "kind: MachineDeployment" in result.stdout
