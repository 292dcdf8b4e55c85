"""Proves the offline CRD validator against the shared fixtures and each admission step.

Why: every schema test of the project trusts this validator; these tests pin its verdicts to the
reference results in ``shared/docs/api-generations.md`` (Appendix A) and to the server's behaviour
for nulls, defaults, pruning, list types and CEL.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.schema.crd_validator import (
    CelEvalFailure,
    CRDSet,
    _Node,
    compile_cel_program,
    compile_pattern,
    rewrite_rule,
    shared_dir,
)

FIXTURES = shared_dir() / "docs" / "api-generations-check"

pytestmark = pytest.mark.skipif(
    not (shared_dir() / "crds" / "current").is_dir(), reason="shared/ CRD tree not available"
)


def _docs(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d]


def _by_name(name: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"] + "/" + d["kind"]: d for d in _docs(name)}


@pytest.fixture(scope="module")
def current() -> CRDSet:
    return CRDSet.load("current")


@pytest.fixture(scope="module")
def legacy() -> CRDSet:
    return CRDSet.load("legacy")


def _pmt(spec: dict[str, Any]) -> dict[str, Any]:
    """A v1alpha2 ProxmoxMachineTemplate around a template spec."""
    return {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxMachineTemplate",
        "metadata": {"name": "t", "namespace": "default"},
        "spec": {"template": {"spec": spec}},
    }


def _pmt_spec(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "sourceNode": "pve",
        "templateID": 100,
        "network": {"networkDevices": [{"name": "net0", "bridge": "vmbr0"}]},
    }
    spec.update(extra)
    return spec


# --------------------------------------------------------------------------------------------
# Fixture verdicts (api-generations.md Appendix A)


@pytest.mark.parametrize("fixture", ["current-minimal.yaml", "current-full.yaml"])
@pytest.mark.parametrize("strict", [True, False])
def test_current_fixtures_accepted(current: CRDSet, fixture: str, strict: bool) -> None:
    docs = _docs(fixture)
    assert len(docs) >= 6
    for doc in docs:
        result = current.admit(doc, strict=strict)
        assert result.errors == [], (doc["kind"], doc["metadata"]["name"])
        assert result.pruned == []


NEGATIVE_REASONS: dict[str, list[str]] = {
    # object name -> substrings that must appear in the errors (strict or not)
    "n1": ["spec.controlPlaneRef.apiGroup: Required value", "spec.infrastructureRef.apiGroup"],
    "n2": [
        "kubeletExtraArgs: Invalid value",
        "must be of type array",
        "spec.template.spec.files: Invalid value: 0: must have at least 1 items",
        "spec.template.spec.users",
        "spec.template.spec.preKubeadmCommands",
    ],
    "n3": ["kubeletExtraArgs name must be unique"],
    "n4": ["spec.template.spec.bootstrap.configRef.apiGroup: Required value"],
    "n5": ["spec.template.spec.network.networkDevices: Required value"],
    "n6": ["SourceNode", "TemplateSelector"],
    "n7": [
        "networkDevices[0].name: Invalid value: \"eth0\": should match '^net[0-9]+$'",
        "networkDevices[0].ipPoolRef[0]",
        "apiGroup",
        "full=true",
    ],
    "n8": ["ipv4Config or ipv6Config"],
    "n9": ["LoadBalancerClass is supported only with LoadBalancer"],
    "n10": ["unhealthyMachineConditions[0].type", "must not be one of"],
    "n11": [
        "spec.clusterNetwork.apiServerPort: Invalid value: 0",
        "spec.clusterNetwork.pods.cidrBlocks: Invalid value: 0: must have at least 1 items",
        "spec.clusterNetwork.serviceDomain",
    ],
}

# v1beta1-only keys in the negative fixture: pruned silently by a default server, errors in strict
NEGATIVE_UNKNOWN: dict[str, list[str]] = {
    "n1": ["spec.controlPlaneRef.apiVersion", "spec.infrastructureRef.apiVersion"],
    "n4": [
        "spec.minReadySeconds",
        "spec.strategy",
        "spec.template.spec.nodeDrainTimeout",
        "spec.template.spec.bootstrap.configRef.apiVersion",
        "spec.template.spec.infrastructureRef.apiVersion",
    ],
    "n5": ["spec.template.spec.target", "spec.template.spec.network.default"],
    "n10": ["spec.nodeStartupTimeout", "spec.maxUnhealthy", "spec.unhealthyConditions"],
}


def test_negative_fixture_covers_all_objects() -> None:
    names = [d["metadata"]["name"] for d in _docs("current-negative.yaml")]
    assert sorted(names) == sorted(NEGATIVE_REASONS)


@pytest.mark.parametrize("name", sorted(NEGATIVE_REASONS))
@pytest.mark.parametrize("strict", [True, False])
def test_current_negative_rejected(current: CRDSet, name: str, strict: bool) -> None:
    doc = next(d for d in _docs("current-negative.yaml") if d["metadata"]["name"] == name)
    result = current.admit(doc, strict=strict)
    assert result.errors, f"{name} was accepted"
    text = "\n".join(result.errors)
    for reason in NEGATIVE_REASONS[name]:
        assert reason in text, f"{name}: {reason!r} not in\n{text}"
    unknown = NEGATIVE_UNKNOWN.get(name, [])
    assert sorted(result.pruned) == sorted(unknown)
    for path in unknown:
        marker = f"{path}: Unknown field"
        assert (marker in text) is strict


@pytest.mark.parametrize("strict", [True, False])
def test_legacy_chart_default_on_legacy(legacy: CRDSet, strict: bool) -> None:
    docs = _docs("legacy-chart-default.yaml")
    assert len(docs) == 7
    for doc in docs:
        result = legacy.admit(doc, strict=strict)
        assert result.errors == [], doc["kind"]
        assert result.pruned == [], doc["kind"]  # "no field of the default render is pruned"


def test_legacy_chart_default_on_current(current: CRDSet) -> None:
    for doc in _docs("legacy-chart-default.yaml"):
        errors = current.validate(doc)
        if doc["kind"] == "KamajiControlPlane":
            assert len(errors) == 1
            assert 'no matches for kind "KamajiControlPlane"' in errors[0]
            assert "controlplane.cluster.x-k8s.io/v1alpha1" in errors[0]
        else:
            assert errors == [], doc["kind"]


def test_legacy_deprecated_versions_warn_on_current(current: CRDSet) -> None:
    cluster = next(d for d in _docs("legacy-chart-default.yaml") if d["kind"] == "Cluster")
    result = current.admit(cluster)
    assert result.accepted
    assert result.warnings, "v1beta1 is deprecated in CAPI v1.14"


@pytest.mark.parametrize("generation", ["legacy", "current"])
def test_legacy_variant_b(generation: str) -> None:
    crds = CRDSet.load(generation)
    docs = _by_name("legacy-chart-variantB.yaml")
    template = docs["demo-default-proxmox-machine-template-9f9f9f9f/ProxmoxMachineTemplate"]
    assert crds.validate(template) == []  # defect D3: the template is accepted
    machine_errors = crds.validate(docs["demo-default-md-abcde-fghij/ProxmoxMachine"])
    assert len(machine_errors) == 1
    assert machine_errors[0].startswith("spec: ")
    assert "TemplateSelector" in machine_errors[0]
    assert crds.validate(docs["demo-default-md/MachineDeployment"]) == []
    broken = "\n".join(crds.validate(docs["broken/MachineDeployment"]))
    assert 'spec.replicas: Invalid value: "two": must be of type integer' in broken
    assert "spec.clusterName" in broken
    assert "spec.template.spec.infrastructureRef: Required value" in broken


# --------------------------------------------------------------------------------------------
# Admission steps


def test_unknown_field_strict_vs_pruned(current: CRDSet) -> None:
    obj = _pmt(_pmt_spec(colour="blue"))
    strict_errors = current.validate(obj, strict=True)
    assert strict_errors == ["spec.template.spec.colour: Unknown field: field not declared in schema"]
    result = current.admit(obj, strict=False)
    assert result.errors == []
    assert result.pruned == ["spec.template.spec.colour"]
    assert "colour" not in result.object["spec"]["template"]["spec"]
    assert obj["spec"]["template"]["spec"]["colour"] == "blue", "input must not be mutated"


def test_unknown_metadata_field(current: CRDSet) -> None:
    obj = _pmt(_pmt_spec())
    obj["metadata"]["colour"] = "blue"
    assert current.validate(obj) == ["metadata.colour: Unknown field: field not declared in schema"]
    assert current.validate(obj, strict=False) == []


def test_null_of_non_nullable_field_is_dropped(legacy: CRDSet) -> None:
    kcp = next(d for d in _docs("legacy-chart-default.yaml") if d["kind"] == "KamajiControlPlane")
    assert kcp["spec"]["deployment"]["affinity"] is None  # defect D4 in the fixture
    result = legacy.admit(kcp)
    assert result.errors == []
    dep = result.object["spec"]["deployment"]
    assert "affinity" not in dep and "tolerations" not in dep
    assert dep["additionalMetadata"] == {}
    assert "serviceAddress" not in result.object["spec"]["network"]


def test_null_with_default_gets_the_default(current: CRDSet) -> None:
    spec = _pmt_spec(full=None)
    result = current.admit(_pmt(spec))
    assert result.errors == []
    assert result.object["spec"]["template"]["spec"]["full"] is True


def test_null_list_item_is_rejected(current: CRDSet) -> None:
    spec = _pmt_spec(allowedNodes=["pve", None])
    errors = current.validate(_pmt(spec))
    assert any(e.startswith("spec.template.spec.allowedNodes[1]: ") and "null" in e for e in errors)


def test_defaults_applied_recursively(current: CRDSet) -> None:
    kcp = {
        "apiVersion": "controlplane.cluster.x-k8s.io/v1alpha2",
        "kind": "KamajiControlPlane",
        "metadata": {"name": "d"},
        "spec": {"version": "v1.31.4", "addons": {"konnectivity": {}}},
    }
    result = current.admit(kcp)
    assert result.errors == []
    spec = result.object["spec"]
    assert spec["replicas"] == 2
    assert spec["network"] == {"serviceType": "LoadBalancer"}
    assert spec["kubelet"]["preferredAddressTypes"] == ["InternalIP", "ExternalIP", "Hostname"]
    agent = spec["addons"]["konnectivity"]["agent"]
    assert agent["mode"] == "DaemonSet"
    assert agent["hostNetwork"] is False  # default inside a defaulted value
    assert agent["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    assert spec["addons"]["konnectivity"]["server"]["port"] == 8132
    assert "replicas" not in kcp["spec"]


def test_list_item_defaults(current: CRDSet) -> None:
    result = current.admit(_pmt(_pmt_spec()))
    device = result.object["spec"]["template"]["spec"]["network"]["networkDevices"][0]
    assert device["model"] == "virtio"
    assert result.object["spec"]["template"]["spec"]["full"] is True


def test_list_type_set_rejects_duplicates(current: CRDSet) -> None:
    pc = copy.deepcopy(next(d for d in _docs("current-minimal.yaml") if d["kind"] == "ProxmoxCluster"))
    assert current.validate(pc) == []
    pc["spec"]["dnsServers"] = ["8.8.8.8", "1.1.1.1", "8.8.8.8"]
    assert current.validate(pc) == ['spec.dnsServers[2]: Duplicate value: "8.8.8.8"']


def test_list_type_map_rejects_duplicate_keys(current: CRDSet) -> None:
    devices = [{"name": "net0", "bridge": "vmbr0"}, {"name": "net0", "bridge": "vmbr1"}]
    errors = current.validate(_pmt(_pmt_spec(network={"networkDevices": devices})))
    assert errors == ['spec.template.spec.network.networkDevices[1]: Duplicate value: {"name": "net0"}']


def test_list_map_key_default_counts_for_uniqueness(current: CRDSet) -> None:
    devices = [{"bridge": "vmbr0"}, {"name": "net0", "bridge": "vmbr1"}]  # first defaults to net0
    errors = current.validate(_pmt(_pmt_spec(network={"networkDevices": devices})))
    assert any("networkDevices[1]: Duplicate value" in e for e in errors)


def test_cel_rejects_source_node_with_template_selector(current: CRDSet) -> None:
    machine = {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxMachine",
        "metadata": {"name": "m"},
        "spec": {
            "sourceNode": "pve",
            "templateSelector": {"matchTags": ["ubuntu"]},
            "network": {"networkDevices": [{"name": "net0", "bridge": "vmbr0"}]},
        },
    }
    errors = current.validate(machine)
    assert len(errors) == 1 and "exists_one" in errors[0]
    del machine["spec"]["sourceNode"]
    assert current.validate(machine) == []


def test_cel_template_rule_is_weaker(current: CRDSet) -> None:
    spec = _pmt_spec(templateSelector={"matchTags": ["ubuntu"]})  # sourceNode + selector (D3)
    assert current.validate(_pmt(spec)) == []
    spec = _pmt_spec()
    del spec["sourceNode"]
    errors = current.validate(_pmt(spec))
    assert len(errors) == 1 and "spec.template.spec: " in errors[0]


def test_cel_null_comparison_means_presence(current: CRDSet) -> None:
    ref = {"apiGroup": "ipam.cluster.x-k8s.io", "kind": "InClusterIPPool", "name": "p"}
    pc = {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1alpha2",
        "kind": "ProxmoxCluster",
        "metadata": {"name": "c"},
        "spec": {
            "dnsServers": ["8.8.8.8"],
            "ipv6Config": {"addresses": ["fd00::10-fd00::20"], "gateway": "fd00::1", "prefix": 64},
        },
    }
    assert current.validate(pc) == []  # ipv4Config != null || ipv6Config != null
    devices = [{"name": "net0", "bridge": "vmbr0", "ipPoolRef": [ref]}]
    assert current.validate(_pmt(_pmt_spec(network={"networkDevices": devices}))) == []


def test_blocking_errors_skip_cel(current: CRDSet) -> None:
    spec = _pmt_spec(templateSelector={"matchTags": ["x"]}, format="qcow3", full=False)
    errors = current.validate(_pmt(spec))
    assert any('Unsupported value: "qcow3"' in e for e in errors)
    assert any("some validation rules" in e for e in errors)
    assert not any("full=true" in e for e in errors)


def test_openapi_value_checks(current: CRDSet) -> None:
    bad_vlan = [{"name": "net0", "bridge": "vmbr0", "vlan": 5000}]
    errors = current.validate(_pmt(_pmt_spec(network={"networkDevices": bad_vlan})))
    assert errors == ["spec.template.spec.network.networkDevices[0].vlan: Invalid value: 5000: should be <= 4094"]
    errors = current.validate(_pmt(_pmt_spec(memoryMiB=1001)))
    assert errors == ["spec.template.spec.memoryMiB: Invalid value: 1001: should be a multiple of 8"]
    errors = current.validate(_pmt(_pmt_spec(numCores=True)))
    assert errors and "must be of type integer (got boolean)" in errors[0]


def test_re2_patterns(current: CRDSet) -> None:
    selector = {"matchTags": ["Ubuntu-24.04+k8s"]}  # ^(?i)... pattern: case-insensitive
    spec = _pmt_spec(templateSelector=selector)
    del spec["sourceNode"], spec["templateID"]
    assert current.validate(_pmt(spec)) == []
    devices = [{"name": "net0\n", "bridge": "vmbr0"}]  # RE2 `$` does not match before a newline
    errors = current.validate(_pmt(_pmt_spec(network={"networkDevices": devices})))
    assert any("should match '^net[0-9]+$'" in e for e in errors)
    assert compile_pattern(r"^(?i)[a-z]+$")("ABC")
    assert not compile_pattern(r"^[a-z]+$")("abc\n")
    assert compile_pattern(r"[[:alpha:]]")("x")  # falls back to RE2 itself


def test_int_or_string(current: CRDSet) -> None:
    md = copy.deepcopy(_by_name("current-full.yaml")["demo-gpu/MachineDeployment"])
    md["spec"]["remediation"]["maxInFlight"] = "10%"
    assert current.validate(md) == []
    md["spec"]["remediation"]["maxInFlight"] = True
    errors = current.validate(md)
    assert errors and "must be an integer or a string" in errors[0]


def test_metadata_checks(current: CRDSet) -> None:
    obj = _pmt(_pmt_spec())
    obj["metadata"] = {
        "name": "Bad_Name",
        "namespace": "default",
        "labels": {"ok": "x" * 64, "bad key!": "v"},
        "annotations": {"a": 1},
    }
    text = "\n".join(current.validate(obj))
    assert "metadata.name: Invalid value" in text
    assert "metadata.labels[ok]: Invalid value" in text
    assert "metadata.labels[bad key!]: Invalid value" in text
    assert "metadata.annotations[a]: Invalid value: 1: must be of type string" in text
    obj["metadata"] = {"namespace": "default"}
    errors = current.validate(obj)
    assert errors[0] == "metadata.name: Required value: name or generateName is required"
    assert "rules (x-kubernetes-validations) were not checked" in errors[1]  # Required blocks CEL
    del obj["metadata"]
    assert current.validate(obj)[0] == "metadata.name: Required value: name or generateName is required"
    obj["metadata"] = {"generateName": "x-"}
    assert current.validate(obj) == []
    obj["metadata"] = {"name": "a" * 254}
    assert any("253" in e for e in current.validate(obj))


def test_status_is_ignored_on_create(current: CRDSet) -> None:
    pc = copy.deepcopy(next(d for d in _docs("current-minimal.yaml") if d["kind"] == "ProxmoxCluster"))
    pc["status"] = {"bogus": [1, 2]}
    result = current.admit(pc)
    assert result.errors == [] and "status" not in result.object


def test_unserved_and_unknown_kinds(current: CRDSet) -> None:
    errors = current.validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert len(errors) == 1 and "no CRD for this kind" in errors[0]
    assert current.validate({"kind": "Widget"}) == ["apiVersion: Required value"]
    assert current.served_versions("controlplane.cluster.x-k8s.io", "KamajiControlPlane") == ["v1alpha2"]


def test_shared_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CKP_SHARED_DIR", str(tmp_path))
    assert shared_dir() == tmp_path.resolve()
    with pytest.raises(FileNotFoundError, match="CKP_SHARED_DIR"):
        CRDSet.load("current")
    with pytest.raises(ValueError, match="generation"):
        CRDSet.load("future")


# --------------------------------------------------------------------------------------------
# CEL coverage: every rule compiles and evaluates without evaluator errors

# Rules the offline evaluator cannot run, by rule text.  Keep empty; list any newcomer here.
UNSUPPORTED_RULES: set[str] = set()


def _sample(node: _Node, depth: int = 0, full: bool = True) -> Any:
    """A value for ``node``: every optional field present (``full``) or only required ones."""
    if node.enum:
        return copy.deepcopy(node.enum[0])
    if node.int_or_string:
        return 1
    t = node.type
    if t == "object" or node.properties is not None:
        out: dict[str, Any] = {}
        if depth < 14:
            for k, child in (node.properties or {}).items():
                if full or k in node.required:
                    out[k] = _sample(child, depth + 1, full)
            if node.additional is not None and node.additional.type is not None:
                out["k"] = _sample(node.additional, depth + 1, full)
        return out
    if t == "array":
        if node.items is None or depth >= 14:
            return []
        item = _sample(node.items, depth + 1, full)
        return [item, copy.deepcopy(item)] if full else [item]
    if t == "string":
        return "a" * max(node.min_length or 1, 1)
    if t in ("integer", "number"):
        return node.minimum if node.minimum is not None else 1
    if t == "boolean":
        return True
    return {}


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_every_cel_rule_compiles(generation: str) -> None:
    crds = CRDSet.load(generation)
    rules = crds.rules()
    assert len(rules) > 100
    unsupported = {r.rule for r in rules if r.unsupported}
    assert unsupported == UNSUPPORTED_RULES
    transition = [r for r in rules if r.transition]
    assert transition and all("oldSelf" in r.rule for r in transition)


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_every_cel_rule_evaluates_on_schema_samples(generation: str) -> None:
    crds = CRDSet(generation, shared_dir() / "crds" / generation)  # fresh rule counters
    sites = list(crds.iter_rule_sites())
    assert sites
    failures = []
    for gvk, path, node in sites:
        value = _sample(node)
        for rule in node.rules:
            if rule.transition or rule.unsupported:
                continue
            _, err = rule.evaluate(value)
            if err is not None:
                failures.append(f"{gvk} {path}: {rule.rule}: {err}")
    assert failures == []
    not_run = [r.location for r in crds.rules() if not r.transition and r.evaluations == 0]
    assert not_run == []


def _run(program: Any, value: Any) -> Any:
    try:
        return program(value)
    except CelEvalFailure:
        return "<error>"


# cel-python's has(a.b.c) answers false when a.b is missing; cel-go (the API server) raises
# "no such key" for the missing intermediate field, which the own engine follows.  These rules of
# kamaji's TenantControlPlane (not rendered by the tool) hit that difference on sparse values.
CELPY_LENIENT_HAS = {
    "!has(self.networkProfile.loadBalancerSourceRanges) || (size(self.networkProfile.loadBalancerSourceRanges)"
    " == 0 || self.controlPlane.service.serviceType == 'LoadBalancer')",
    "!has(self.networkProfile.loadBalancerClass) || self.controlPlane.service.serviceType == 'LoadBalancer'",
}


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_fast_cel_engine_agrees_with_cel_python(generation: str) -> None:
    """Differential check: own compiler vs cel-python on every rule, full and sparse values."""
    crds = CRDSet.load(generation)
    compared = 0
    mismatches = []
    for gvk, path, node in crds.iter_rule_sites():
        values = [_sample(node), _sample(node, full=False)]
        for rule in node.rules:
            if rule.transition:
                continue
            text = rewrite_rule(rule.rule)
            fast, engine = compile_cel_program(text, "fast")
            assert engine == "fast", f"{rule.rule} needs cel-python"
            ref, _ = compile_cel_program(text, "celpy")
            for value in values:
                compared += 1
                got, want = _run(fast, value), _run(ref, value)
                if got == "<error>" and rule.rule in CELPY_LENIENT_HAS:
                    continue
                if got != want:
                    mismatches.append(f"{gvk} {path}: {rule.rule}: {_run(fast, value)} != {_run(ref, value)}")
    assert compared > 200
    assert mismatches == []


def test_fixture_rule_coverage_without_evaluator_errors() -> None:
    crds = CRDSet("current", shared_dir() / "crds" / "current")
    for name in ("current-minimal.yaml", "current-full.yaml"):
        for doc in _docs(name):
            assert crds.validate(doc) == []
    evaluated = [r for r in crds.rules() if r.evaluations]
    assert len(evaluated) >= 20
    assert [r.location for r in evaluated if r.eval_errors] == []


# --------------------------------------------------------------------------------------------
# Property-based use and speed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mtu=st.integers(min_value=-10, max_value=70000), vlan=st.integers(min_value=-5, max_value=5000))
def test_network_device_ranges_property(mtu: int, vlan: int) -> None:
    crds = CRDSet.load("current")
    devices = [{"name": "net0", "bridge": "vmbr0", "mtu": mtu, "vlan": vlan}]
    errors = crds.validate(_pmt(_pmt_spec(network={"networkDevices": devices})))
    vlan_ok = 1 <= vlan <= 4094
    mtu_ok = mtu == 1 or 576 <= mtu <= 65520
    assert (errors == []) == (vlan_ok and mtu_ok), errors
    assert any(".mtu:" in e for e in errors) == (not mtu_ok)  # range errors do not block CEL


# --------------------------------------------------------------------------------------------
# Schema features the shared CRDs do not use (synthetic CRD)

_WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.size > 0
              messageExpression: "'size ' + string(self.size) + ' is too small'"
            properties:
              size: {type: integer, default: 1}
              note: {type: string, nullable: true}
              raw: {type: object, x-kubernetes-preserve-unknown-fields: true}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                properties:
                  spec: {type: object, properties: {x: {type: string}}}
              choice:
                anyOf: [{type: integer, minimum: 10}, {type: string, pattern: '^[a-z]+$'}]
                x-kubernetes-int-or-string: true
              stamp: {type: string, format: date-time}
              blob: {type: string, format: byte}
  - name: v0
    served: false
    storage: false
    schema: {openAPIV3Schema: {type: object}}
"""


@pytest.fixture
def widgets(tmp_path: Path) -> CRDSet:
    (tmp_path / "example.com_widgets.yaml").write_text(_WIDGET_CRD, encoding="utf-8")
    return CRDSet("synthetic", tmp_path)


def _widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_synthetic_defaults_nullable_preserve(widgets: CRDSet) -> None:
    result = widgets.admit(_widget(note=None, raw={"any": {"thing": [1]}}))
    assert result.errors == []
    assert result.object["spec"] == {"size": 1, "note": None, "raw": {"any": {"thing": [1]}}}


def test_synthetic_message_expression(widgets: CRDSet) -> None:
    assert widgets.validate(_widget(size=0)) == [
        'spec: Invalid value: "object": size 0 is too small (rule: self.size > 0)'
    ]


def test_synthetic_embedded_resource(widgets: CRDSet) -> None:
    embedded = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"x": "y"}}
    assert widgets.validate(_widget(template=embedded)) == []
    errors = widgets.validate(_widget(template={"metadata": {"name": "UPPER"}, "spec": {"y": 1}}))
    text = "\n".join(errors)
    assert "spec.template.apiVersion: Required value" in text
    assert "spec.template.kind: Required value" in text
    assert "spec.template.metadata.name: Invalid value" in text
    assert "spec.template.spec.y: Unknown field" in text


def test_synthetic_any_of_and_formats(widgets: CRDSet) -> None:
    assert widgets.validate(_widget(choice=12, stamp="2026-01-02T03:04:05Z", blob="aGVsbG8=")) == []
    errors = widgets.validate(_widget(choice=5))
    assert errors and "anyOf" in errors[0]
    assert widgets.validate(_widget(choice="ABC")) != []
    assert "must be of format date-time" in widgets.validate(_widget(stamp="yesterday"))[0]
    assert "must be of format byte" in widgets.validate(_widget(blob="not base64!"))[0]


def test_synthetic_unserved_version(widgets: CRDSet) -> None:
    obj = _widget()
    obj["apiVersion"] = "example.com/v0"
    errors = widgets.validate(obj)
    assert len(errors) == 1 and "served versions: example.com/v1" in errors[0]
