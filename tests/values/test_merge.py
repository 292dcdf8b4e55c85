"""Helm's merge rules for values files and --set, which existing values files rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import user_layer
from capi_kamaji_proxmox.values.merge import apply_set, coalesce, merge_layers


def test_maps_merge_deeply_lists_replace() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    top = {"a": {"c": [3]}, "e": 2}
    assert merge_layers(base, top) == {"a": {"b": 1, "c": [3]}, "d": 1, "e": 2}


def test_null_in_user_layer_deletes_default() -> None:
    defaults = {"cluster": {"controlPlane": {"labels": {"cni": "calico"}, "replicas": 2}}}
    config = merge_layers({}, {"cluster": {"controlPlane": {"labels": None}}})
    assert config == {"cluster": {"controlPlane": {"labels": None}}}  # the null survives user layers
    assert coalesce(defaults, config) == {"cluster": {"controlPlane": {"replicas": 2}}}


def test_null_nested_in_new_value_is_dropped() -> None:
    assert coalesce({}, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}


def test_later_file_wins() -> None:
    one = {"nodePools": [{"name": "a"}], "x": {"y": 1}}
    two = {"x": {"z": 2}}
    assert merge_layers(merge_layers({}, one), two) == {"nodePools": [{"name": "a"}], "x": {"y": 1, "z": 2}}


@pytest.mark.parametrize(
    ("exprs", "expected"),
    [
        (["a.b=1"], {"a": {"b": 1}}),
        (["a.b=true,a.c=false"], {"a": {"b": True, "c": False}}),
        (["a=null"], {"a": None}),
        (["a.b[1].c=x"], {"a": {"b": [None, {"c": "x"}]}}),
        (["a={x,y,z}"], {"a": ["x", "y", "z"]}),
        (["a=x\\,y"], {"a": "x,y"}),
        (["a\\.b=1"], {"a.b": 1}),
        (["a=007x"], {"a": "007x"}),
    ],
)
def test_set_syntax(exprs: list[str], expected: dict[str, object]) -> None:
    assert apply_set({}, exprs) == expected


def test_set_string_keeps_strings() -> None:
    assert apply_set({}, ["a=1,b=true"], as_string=True) == {"a": "1", "b": "true"}


def test_set_edits_list_element_of_files() -> None:
    files = {"nodePools": [{"name": "w", "replicas": 1, "memoryMiB": 4096}]}
    assert apply_set(files, ["nodePools[0].replicas=5"]) == {
        "nodePools": [{"name": "w", "replicas": 5, "memoryMiB": 4096}]
    }
    assert files["nodePools"][0]["replicas"] == 1  # input untouched


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("novalue", "--set 'novalue': expected KEY=VALUE, got 'novalue'"),
        ("[0]=x", "--set '[0]=x': a key must start with a name"),
        ("a.b=1,a[0]=2", "--set 'a.b=1,a[0]=2': index [0] used on a map"),
    ],
)
def test_set_errors(expr: str, message: str) -> None:
    with pytest.raises(ValuesError) as err:
        apply_set({}, [expr])
    assert err.value.problems == [message]


def test_set_on_pool_index_without_a_pool_list_edits_the_default_pool() -> None:
    assert apply_set({}, ["nodePools[0].replicas=5"]) == {"nodePools": [{"name": "default", "replicas": 5}]}
    # with a list from the files, --set edits that list as Helm does
    assert apply_set({"nodePools": [{"name": "w"}]}, ["nodePools[0].replicas=5"]) == {
        "nodePools": [{"name": "w", "replicas": 5}]
    }


# --------------------------------------------------------------------------- --set-file


def _files(tmp_path: Path, **contents: str) -> dict[str, str]:
    out = {}
    for name, text in contents.items():
        (tmp_path / name).write_text(text)
        out[name] = str(tmp_path / name)
    return out


def test_set_file_value_is_the_whole_content_as_a_string(tmp_path: Path) -> None:
    f = _files(tmp_path, a="true", b="123\n", c="{x,y}")
    out = user_layer(set_files=[f"x.a={f['a']},x.b={f['b']}", f"l[1].c={f['c']}"])
    assert out == {"x": {"a": "true", "b": "123\n"}, "l": [None, {"c": "{x,y}"}]}


def test_set_file_comes_after_set_and_set_string(tmp_path: Path) -> None:
    f = _files(tmp_path, m="from-file")
    out = user_layer(sets=["a.m=1"], set_strings=["a.m=2"], set_files=[f"a.m={f['m']}"])
    assert out == {"a": {"m": "from-file"}}


def test_set_file_errors_name_the_flag_and_key(tmp_path: Path) -> None:
    with pytest.raises(ValuesError) as err:
        user_layer(set_files=[f"addons.cni.manifest={tmp_path / 'missing.yaml'}"])
    assert "--set-file addons.cni.manifest=" in str(err.value) and "cannot read file" in str(err.value)
    with pytest.raises(ValuesError) as err:
        user_layer(set_files=["no-equals-sign"])
    assert "--set-file 'no-equals-sign': expected KEY=VALUE" in str(err.value)
