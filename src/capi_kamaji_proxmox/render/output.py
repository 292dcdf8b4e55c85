"""Deterministic YAML / JSON output of manifests (same objects, same bytes).

YAML is written by libyaml's C emitter when PyYAML was built with it (about five times faster than
the pure-Python emitter, which dominated rendering a fleet), and by the pure-Python emitter
otherwise. The two emitters agree byte for byte on everything except a few exotic scalars (see
:func:`_c_emitter_safe`); a document holding one of those is written by the pure-Python emitter, so
the output never depends on how PyYAML was built.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases (the reference emitter)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(str, _str)

_CSafeDumper: type[Any] | None = getattr(yaml, "CSafeDumper", None)
_CDumper: type[Any] | None = None
if _CSafeDumper is not None:

    class _LibyamlDumper(_CSafeDumper):  # type: ignore[misc, valid-type]
        """The same representers on libyaml's emitter."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    _LibyamlDumper.add_representer(str, _str)
    _CDumper = _LibyamlDumper

_MAX_SIMPLE_KEY = 120  # both emitters switch to "? key" beyond ~120 characters, at different bounds


def _text_ok(value: str) -> bool:
    if not value.isascii():
        return False
    if value.isprintable():
        return True
    # Multi-line: only text that stays a literal block (a space before a line break or at the end
    # makes it a double-quoted, folded scalar) and is not keep-chomped.
    return (
        value.replace("\n", "").isprintable()
        and " \n" not in value
        and not value.endswith((" ", "\n\n"))
        and value != "\n"
    )


def _c_emitter_safe(obj: Any) -> bool:
    """True when ``obj`` is a collection whose strings the C emitter writes like the Python one.

    They differ on non-ASCII text and control characters (libyaml counts the width of escapes
    differently when folding a double-quoted line, which is also what multi-line text with a space
    before a line break becomes), on text that
    ends in two line breaks or is one (a keep-chomped literal, after which libyaml closes the
    document with ``...``), on mapping keys that are empty, very long or hold control characters
    (``? key`` rules), and on a lone scalar document. The hypothesis corpus in
    tests/render/test_output.py keeps this list honest.
    """
    if not isinstance(obj, (dict, list)):
        return False
    stack: list[Any] = [obj]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for k in cur:
                if not (isinstance(k, str) and 0 < len(k) < _MAX_SIMPLE_KEY and k.isascii() and k.isprintable()):
                    return False
            items = cur.values()
        else:
            items = cur
        for v in items:
            if isinstance(v, str):
                if not _text_ok(v):
                    return False
            elif isinstance(v, (dict, list)):
                stack.append(v)
    return True


def to_yaml(obj: Any) -> str:
    """One YAML document (without ``---``), block style, keys in insertion order."""
    dumper = _CDumper if _CDumper is not None and _c_emitter_safe(obj) else _Dumper
    return yaml.dump(obj, Dumper=dumper, sort_keys=False, default_flow_style=False, width=100)


def to_yaml_pure(obj: Any) -> str:
    """:func:`to_yaml` with the pure-Python emitter only: the reference the fast path must match."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)


def yaml_stream(objs: list[dict[str, Any]]) -> str:
    """Documents each preceded by ``---``, as ``template`` prints them."""
    return "".join("---\n" + to_yaml(o) for o in objs)


def json_list(objs: list[dict[str, Any]]) -> str:
    return json.dumps(objs, indent=2) + "\n"
