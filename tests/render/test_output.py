"""YAML output: libyaml's emitter (the fallback of the direct writer) writes exactly the bytes the
pure-Python one does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capi_kamaji_proxmox.render import output, pyyaml_writer
from capi_kamaji_proxmox.values.load import read_values_file
from tests.render.yaml_corpus import text, tree, values_text
from tests.rendering import EXAMPLES, GENERATION_FLAGS, cli, render_config, without_libyaml

pytestmark = pytest.mark.skipif(pyyaml_writer.CDumper is None, reason="PyYAML built without libyaml")


def pure_stream(objs: list[dict[str, Any]]) -> str:
    return "".join("---\n" + output.to_yaml_pure(o) for o in objs)


def c_emitter(obj: Any) -> str:
    return yaml.dump(obj, Dumper=pyyaml_writer.CDumper, sort_keys=False, default_flow_style=False, width=100)


@pytest.mark.parametrize("generation", sorted(GENERATION_FLAGS))
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_example_renders_to_the_same_bytes(example: Any, generation: str) -> None:
    objs = render_config(read_values_file(str(example)), generation=generation)
    fast = "".join("---\n" + c_emitter(o) for o in objs)  # the fast path takes every object
    assert fast == output.yaml_stream(objs) == pure_stream(objs)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(text, tree, min_size=1))
def test_any_document_is_written_as_the_pure_python_emitter_writes_it(doc: dict[str, Any]) -> None:
    reference = output.to_yaml_pure(doc)
    assert output.to_yaml(doc) == reference
    try:
        fast = c_emitter(doc)
    except pyyaml_writer.NotPortable:
        return  # written by the reference emitter, as asserted above
    assert fast == reference


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    labels=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9.-]{0,20}/[a-z]{1,10}", fullmatch=True), values_text, max_size=3
    ),
    args=st.lists(values_text, max_size=3),
    files=values_text,
)
def test_rendered_user_text_is_written_the_same_both_ways(labels: dict[str, str], args: list[str], files: str) -> None:
    config = {
        "cluster": {"controlPlane": {"labels": labels, "apiServer": {"extraArgs": args}}},
        "nodePools": [{"name": "w", "additionalCloudInitFiles": files}],
    }
    objs = render_config(config)
    assert output.yaml_stream(objs) == pure_stream(objs)


def test_without_libyaml_the_pure_python_emitter_is_used() -> None:
    slow = without_libyaml(
        "import yaml; assert not hasattr(yaml, 'CSafeDumper')\n"
        "from capi_kamaji_proxmox.cli.main import main\n"
        f"sys.exit(main(['template', 'demo', '-f', {str(EXAMPLES[0])!r}]))\n"
    )
    fast = cli("template", "demo", "-f", str(EXAMPLES[0]))
    assert fast.returncode == 0 and slow == fast.stdout and slow.startswith("---\n")
