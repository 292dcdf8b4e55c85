"""The direct YAML writer: PyYAML's bytes, taken for every rendered object, and a way out for the rest."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.emitter import Emitter
from yaml.events import ScalarEvent
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from capi_kamaji_proxmox.render import emit, output
from capi_kamaji_proxmox.values.load import read_values_file
from tests.render.yaml_corpus import manifest_key, plain_tree, text, tree
from tests.rendering import EXAMPLES, GENERATION_FLAGS, render_config


@pytest.mark.parametrize("generation", sorted(GENERATION_FLAGS))
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_rendered_object_is_written_directly_as_pyyaml_writes_it(example: Any, generation: str) -> None:
    for obj in render_config(read_values_file(str(example)), generation=generation):
        assert emit.dump(obj) == output.to_yaml_pure(obj), obj["kind"]


# Each layout rule, and each quoting decision the writer makes itself or asks PyYAML for.
LAYOUTS: list[Any] = [
    {"a": {"b": {"c": 1}}, "d": [1, 2], "e": [], "f": {}, "g": None, "h": True, "i": False},
    {"seq": [{"x": 1, "y": [{"z": []}, {}]}, [1, [2, [3]]], [], {}, None]},
    [[{"a": "b"}], {"k": [[]]}, "- x", ""],
    {"text": ["true", "0644", "1:20", "2001-12-14", "~", "", "null", "1e3", ".inf", "a:b", "a: b", "#x", "x #y"]},
    {"keys": {"true": 1, "0644": 2, "a b": 3, "it's": 4, "node-role.kubernetes.io/node": ""}},
    {"files": [{"content": "#!/bin/sh\necho hi\n", "no-newline": "a\nb", "indented": "  a\nb\n", "blank": "a\n\nb\n"}]},
    {"in-seq": ["line one\nline two\n", ["x\ny\n"]], "quote": "it's 'quoted'", "long": "w " * 45},
]


@pytest.mark.parametrize("doc", LAYOUTS)
def test_each_layout_rule_matches_pyyaml(doc: Any) -> None:
    assert emit.dump(doc) == output.to_yaml_pure(doc)


@pytest.mark.parametrize(
    "doc",
    [
        {},  # an empty document: PyYAML writes "{}" flow style
        {"f": 1.5},  # floats are PyYAML's
        {"s": "é"},  # non-ASCII text is escaped in double quotes
        {"s": "tab\there"},  # control characters too
        {"kept": "a\n\n"},  # a keep-chomped block ends the document with "..."
        {"long": "word " * 30},  # folded at a space past the width
        {1: "int key"},
        {"k" * 130: "a long key is written as '? key'"},
        "a lone scalar",
    ],
)
def test_what_the_writer_does_not_write_is_left_to_pyyaml(doc: Any) -> None:
    with pytest.raises(emit.NotDirect):
        emit.dump(doc)
    assert output.to_yaml(doc) == output.to_yaml_pure(doc)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.dictionaries(text, tree, min_size=1), st.dictionaries(manifest_key, plain_tree, min_size=1)))
def test_any_document_it_writes_is_what_pyyaml_writes(doc: dict[str, Any]) -> None:
    try:
        direct = emit.dump(doc)
    except emit.NotDirect:
        return
    assert direct == output.to_yaml_pure(doc)


def test_the_corpus_is_mostly_written_directly() -> None:
    """Guards the test above against a writer that refuses everything."""
    taken = 0

    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(manifest_key, plain_tree, min_size=1))
    def count(doc: dict[str, Any]) -> None:
        nonlocal taken
        try:
            emit.dump(doc)
        except emit.NotDirect:
            return
        taken += 1

    count()
    assert taken >= 60


def pyyaml_style(value: str, key: bool) -> str:
    """PyYAML's own choice of style for ``value`` (its scalar analysis, resolver and rules)."""
    analyser = Emitter(io.StringIO(), width=emit.WIDTH)
    analyser.analysis = analyser.analyze_scalar(value)
    plain_reads_as_text = Resolver().resolve(ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"
    style = "|" if "\n" in value else None
    analyser.event = ScalarEvent(None, None, (plain_reads_as_text, True), value, style=style)
    analyser.simple_key_context, analyser.flow_level = key, 0
    chosen: str = analyser.choose_scalar_style()
    return chosen


# Printable ASCII and line breaks (what the writer decides itself), rich in YAML 1.1 look-alikes.
_LOOK_ALIKES = ["0", "7", "9", "_", ":", ".", "-", "+", "e", "E", "x", "b", "o", " ", "\n", "#", "T", "Z", "\t"]
ascii_text = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, include_characters="\n"), max_size=20),
    st.lists(st.sampled_from([*_LOOK_ALIKES, "true", "null", "~", "<<", "=", ".inf", "NaN", "2001-12-14", "---"]),
             max_size=8).map("".join),
)  # fmt: skip


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(ascii_text, st.booleans())
def test_the_writers_own_quoting_decision_is_pyyamls(value: str, key: bool) -> None:
    if not value.replace("\n", "").isprintable() or (key and ("\n" in value or not value)):
        return  # the writer leaves these to PyYAML (escapes; keys with breaks or empty)
    assert emit._style(value, key) == pyyaml_style(value, key)


number_like = r"[-+]?[0-9_.:eEx]{1,12}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt ][0-9:.]{5,12}Z?"


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(ascii_text, st.from_regex(number_like, fullmatch=True)))
def test_the_writers_reading_of_plain_text_is_pyyamls_resolver(value: str) -> None:
    tag = Resolver().resolve(ScalarNode, value, (True, False))
    assert emit._is_text(value) == (tag == "tag:yaml.org,2002:str"), tag
