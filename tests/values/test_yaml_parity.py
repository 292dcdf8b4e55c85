"""Reading values: libyaml's parser (the fast path) and the pure-Python one give the same data and
the same errors, so nothing depends on how PyYAML was built."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capi_kamaji_proxmox.values import load, yaml_read
from capi_kamaji_proxmox.values.errors import ValuesError
from tests.rendering import EXAMPLES, without_libyaml


def outcome(text: str) -> tuple[str, Any]:
    try:
        return "ok", load.read_values_text(text, "v.yaml")
    except ValuesError as exc:
        return "error", exc.problems


def reference(text: str) -> tuple[str, Any]:
    """What the pure-Python loader alone makes of ``text``."""
    fast = yaml_read._FastLoader
    yaml_read._FastLoader = yaml_read._StrictLoader
    try:
        return outcome(text)
    finally:
        yaml_read._FastLoader = fast


@pytest.mark.skipif(yaml_read._FastLoader is yaml_read._StrictLoader, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_examples_are_read_by_libyaml_with_the_same_result(example: Any) -> None:
    text = example.read_text()
    assert not yaml_read._LIBYAML_DIFFERS.search(text)  # the fast path is really taken
    assert yaml.load(text, Loader=yaml_read._FastLoader) == yaml.load(text, Loader=yaml_read._StrictLoader)
    assert outcome(text) == reference(text)


_TOKENS = ["a", "b", ":", ": ", "- ", "\n", "  ", "\t", "#", " #", "'", '"', "[", "]", "{", "}", ",", "|", ">",
           "|-", "|+", ">2", "&x", "*x", "!!str ", "!", "!foo ", "1", "0x10", "1e3", "~", "null", "yes", "on",
           "2001-01-01", "...", "---", "? ", "%YAML 1.1\n", "\\", "é", "\r\n", "\ufeff", "\u2028", "<<: ",
           "a: b\n", "x: |\n  t\n", "\n  ", "\n- "]  # fmt: skip


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_TOKENS), max_size=30).map("".join))
def test_any_text_reads_as_the_pure_python_loader_reads_it(text: str) -> None:
    assert outcome(text) == reference(text)


def test_a_collection_as_a_key_is_a_yaml_error_not_a_crash() -> None:
    with pytest.raises(ValuesError) as err:
        load.read_values_text("? [a, b]\n: 1\n", "v.yaml")
    assert err.value.problems == ["v.yaml:1:3: YAML syntax error: found unhashable key"]


def test_values_read_without_libyaml() -> None:
    out = without_libyaml(
        "from capi_kamaji_proxmox.values import load, yaml_read\n"
        "assert yaml_read._FastLoader is yaml_read._StrictLoader\n"
        f"print(sorted(load.read_values_file({str(EXAMPLES[0])!r})))\n"
    )
    assert out == f"{sorted(load.read_values_file(str(EXAMPLES[0])))}\n"
