"""The fast accept path (values/fast.py) against pydantic, its reference: on every example, the
chart's values file and a hypothesis corpus of valid and broken values, the fast path either
builds exactly pydantic's data or hands over to pydantic; it never accepts what pydantic rejects.
(That a valid ``template`` imports neither pydantic nor the models: tests/cli/test_startup.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from capi_kamaji_proxmox.values import fast, fast_spec, fast_spec_gen
from capi_kamaji_proxmox.values.defaults import DEFAULTS
from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import read_values_file, validate_config
from capi_kamaji_proxmox.values.merge import coalesce
from capi_kamaji_proxmox.values.model import Values
from tests.paths import shared_dir
from tests.rendering import REPO, apis_for, render
from tests.strategies import values_files

EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
CHART_VALUES = shared_dir() / "anchors" / "capi-kamaji-proxmox-0.0.4" / "values.yaml"


@contextmanager
def pydantic_only() -> Iterator[None]:
    """validate_config as it was before the fast path: pydantic decides everything."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast, "validate", lambda model, data: None)
        yield


def outcome(config: dict[str, Any]) -> tuple[str, Any]:
    """What validate_config makes of ``config``: the data and warnings, or the problems."""
    try:
        loaded = validate_config(config, release_name="demo")
    except ValuesError as exc:
        return "invalid", exc.problems
    return "valid", (repr(loaded.values.model_dump(by_alias=True, exclude_none=True)), loaded.warnings)


def test_the_tables_are_the_model() -> None:
    """fast_spec.py is what the generator makes of model.py today (regenerate it after a change)."""
    assert fast_spec_gen.build() == fast_spec.SPEC


@pytest.mark.parametrize("path", [*EXAMPLES, CHART_VALUES], ids=lambda p: p.name)
@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_examples_take_the_fast_path_and_render_the_same(path: Path, generation: str) -> None:
    config = read_values_file(str(path))
    loaded = validate_config(config, release_name="demo")
    assert isinstance(loaded.values, fast.Light)  # valid values need no pydantic
    with pydantic_only():
        reference = validate_config(config, release_name="demo")
    assert isinstance(reference.values, Values)
    for by_alias in (True, False):
        for exclude_none in (True, False):
            got = loaded.values.model_dump(by_alias=by_alias, exclude_none=exclude_none)
            assert repr(got) == repr(reference.values.model_dump(by_alias=by_alias, exclude_none=exclude_none))
    assert loaded.warnings == reference.warnings
    apis = apis_for(generation)
    assert render(loaded.values, release_name="demo", namespace="ns", apis=apis) == render(
        reference.values, release_name="demo", namespace="ns", apis=apis
    )


# --------------------------------------------------------------------------- hypothesis corpus

ODD_VALUES = [None, True, False, 0, 1, -1, 24, 100, 1.0, 24.0, 0.5, "", "24", "024", " 24", "+24", "2_4", "24.0",
              "5%", "10m", "-5", "yes", "True", "False", "x", "v1.31.4", "v1.31.4\n", [], {}, ["a"], {"a": "b"},
              {"a": 1}, {1: "a"}, [None], [{"key": "k", "effect": "NoSchedule"}]]  # fmt: skip


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a values tree (mappings and lists), the tree's own root excluded."""
    out: list[tuple[Any, ...]] = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else []
    for k, v in items:
        out.append((*prefix, k))
        out += paths(v, (*prefix, k))
    return out


def mutate(tree: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    parent = tree
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "unknown" and isinstance(parent, dict):
        parent[f"{last}X"] = value
    elif how == "snake" and isinstance(parent, dict) and isinstance(last, str):
        parent["".join(f"_{c.lower()}" if c.isupper() else c for c in last)] = parent.pop(last)


@st.composite
def broken_values(draw: st.DrawFn) -> dict[str, Any]:
    cfg = draw(values_files())
    for _ in range(draw(st.integers(0, 3))):
        found = paths(cfg)
        if not found:
            break
        path = draw(st.sampled_from(found))
        how = draw(st.sampled_from(["replace", "replace", "delete", "unknown", "snake"]))
        mutate(cfg, path, how, draw(st.sampled_from(ODD_VALUES)))
    return cfg


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_values())
def test_the_fast_path_builds_what_pydantic_builds_or_hands_over(cfg: dict[str, Any]) -> None:
    # the model level: whatever the fast path accepts, pydantic accepts, with the same data
    merged = coalesce(DEFAULTS, cfg)
    light = fast.validate("Values", merged)
    try:
        reference = Values.model_validate(merged)
    except ValidationError:
        assert light is None, merged
    else:
        if light is not None:
            assert repr(light.model_dump()) == repr(reference.model_dump())
    # the whole validation: the same values, warnings and every message as with pydantic alone
    with pydantic_only():
        expected = outcome(cfg)
    assert outcome(cfg) == expected


@pytest.mark.parametrize(
    ("value", "accepted"),
    [(24, True), ("24", True), (True, False), (24.0, False), (" 24", False), ("24.0", False), (None, True)],
)
def test_what_the_fast_path_takes_for_an_integer(value: Any, accepted: bool) -> None:
    taken = fast.validate("IPAMProvider", {"prefix": value})
    assert (taken is not None) == accepted
    if taken is not None:
        assert taken.prefix == (None if value is None else 24)
