"""YAML through PyYAML: the reference writer, and libyaml's C emitter where it writes the same bytes.

:mod:`capi_kamaji_proxmox.render.emit` writes rendered objects itself; what it leaves (floats,
escapes, folded lines, exotic keys) comes here. libyaml's C emitter is used when PyYAML was built
with it, and agrees with the pure-Python emitter byte for byte except on a few exotic scalars (see
:func:`text_ok` and :func:`key_ok`); a document holding one of those is written by the pure-Python
emitter, so the output never depends on how PyYAML was built. The hypothesis corpus in
tests/render/test_output.py keeps that list honest. Imported only when needed: a `template` whose
objects the direct writer takes loads no PyYAML at all.
"""

from __future__ import annotations

from typing import Any

import yaml

from capi_kamaji_proxmox.render.emit import key_ok

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BOOL, _INT, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:null"


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_STR, value, style=style)


class Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases (the reference emitter)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


Dumper.add_representer(str, _str)


def text_ok(value: str) -> bool:
    """Whether both emitters write this string value alike.

    They differ on non-ASCII text and control characters (libyaml counts the width of escapes
    differently when it folds a double-quoted line, which is also what multi-line text with a space
    before a line break becomes), and on text that is or ends in two line breaks (a keep-chomped
    literal, after which libyaml closes the document with ``...``).
    """
    if not value.isascii():
        return False
    if value.isprintable():
        return True
    return (
        value.replace("\n", "").isprintable()
        and " \n" not in value
        and not value.endswith((" ", "\n\n"))
        and value != "\n"
    )


class NotPortable(Exception):
    """The document holds a scalar the two emitters would write differently."""


_CSafeDumper: type[Any] | None = getattr(yaml, "CSafeDumper", None)
CDumper: type[Any] | None = None
if _CSafeDumper is not None:
    _resolved: dict[tuple[str, tuple[bool, bool]], str] = {}

    class _LibyamlDumper(_CSafeDumper):  # type: ignore[misc, valid-type]
        """The reference dumper's nodes on libyaml's emitter, built faster.

        With the emitter in C, building nodes was most of the time left: the plain types of a
        manifest get their nodes directly (the very nodes SafeRepresenter builds with ``_str``, no
        aliases and block style), checking each string on the way, and the implicit-tag check the
        emitter makes twice per scalar is remembered, as it depends on the text only.
        """

        def ignore_aliases(self, data: Any) -> bool:
            return True

        def represent_data(self, data: Any) -> yaml.Node:
            kind = type(data)
            if kind is str:
                if not text_ok(data):
                    raise NotPortable
                return yaml.ScalarNode(_STR, data, style="|" if "\n" in data else None)
            if kind is dict:
                pairs = []
                for k, v in data.items():
                    if not key_ok(k):
                        raise NotPortable
                    pairs.append((self.represent_data(k), self.represent_data(v)))
                return yaml.MappingNode(_MAP, pairs, flow_style=False)
            if kind is list:
                return yaml.SequenceNode(_SEQ, [self.represent_data(v) for v in data], flow_style=False)
            if kind is bool:
                return yaml.ScalarNode(_BOOL, "true" if data else "false")
            if kind is int:
                return yaml.ScalarNode(_INT, str(data))
            if data is None:
                return yaml.ScalarNode(_NULL, "null")
            if isinstance(data, str):
                raise NotPortable  # a str subclass: leave it to the reference dumper
            node: yaml.Node = super().represent_data(data)
            return node

        def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
            if kind is not yaml.ScalarNode:
                tag: str = super().resolve(kind, value, implicit)
                return tag
            key = (value, implicit)
            cached = _resolved.get(key)
            if cached is None:
                cached = super().resolve(kind, value, implicit)
                if len(_resolved) < 50_000:
                    _resolved[key] = cached
            return cached

    CDumper = _LibyamlDumper


def dump(obj: Any, dumper: type[Any]) -> str:
    return yaml.dump(obj, Dumper=dumper, sort_keys=False, default_flow_style=False, width=100)


def to_yaml(obj: Any) -> str:
    """One document (without ``---``), block style, keys in insertion order."""
    # A lone scalar is a document the emitters end differently: only collections take the C path.
    if CDumper is not None and type(obj) in (dict, list):
        try:
            return dump(obj, CDumper)
        except NotPortable:
            pass
    return dump(obj, Dumper)


def to_yaml_pure(obj: Any) -> str:
    """:func:`to_yaml` with the pure-Python emitter only: the reference every faster path must match."""
    return dump(obj, Dumper)
