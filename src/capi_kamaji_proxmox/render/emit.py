"""A direct YAML writer for the plain trees a render makes, byte for byte PyYAML's output.

Writing a fleet's manifests through PyYAML spends most of its time building and resolving nodes,
even with libyaml's emitter. A manifest is dicts, lists, text, ints, bools and None in block style,
which PyYAML lays out by a few fixed rules (two-space mappings, sequences not indented under a key,
``{}`` and ``[]`` for empty collections, literal blocks for multi-line text); this module writes
those directly, and quotes printable ASCII text by the rules PyYAML's scalar analysis and YAML 1.1
resolver apply (remembered per text), without importing PyYAML. Anything outside what is written
here by rule (floats, escapes, non-ASCII text, lines PyYAML would fold) raises :class:`NotDirect`,
and the caller hands the document to PyYAML (:mod:`capi_kamaji_proxmox.render.pyyaml_writer`);
hypothesis tests in tests/render/test_emit.py compare the two, and these quoting rules with PyYAML's.
"""

from __future__ import annotations

import re
from typing import Any

WIDTH = 100  # the width output.py hands PyYAML; plain and quoted text folds at a space past it
_MAX_SIMPLE_KEY = 120  # PyYAML and libyaml switch to "? key" beyond ~120 characters, at different bounds
# Text every emitter writes plain unless the resolver reads it as another type ("true", "0644",
# "1:20"): ASCII names, paths and image references, no spaces, no indicators.
_NAME = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]+)*")
# Plain text PyYAML's resolver (YAML 1.1 implicit types) reads as something other than a string:
# bool, float, int, merge, null, timestamp, value, and the "yaml" indicators. Like PyYAML's
# patterns, "$" also matches before a final line break.
_NOT_TEXT = re.compile(
    r"""(?:
      yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | << | ~ | null|Null|NULL | = | ! | & | \*
    | [0-9]{4}-[0-9]{2}-[0-9]{2}
    | [0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
      (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?
    )$""",
    re.X,
)
# Characters that make text an indicator when they start it (some only before a space).
_LEADING = frozenset("#,[]{}&*!|>'\"%@`")


class NotDirect(Exception):
    """The document holds something this writer leaves to PyYAML."""


_CACHE_LIMIT = 50_000
_value_styles: dict[str, str] = {}
_key_texts: dict[str, str] = {}


def _is_text(value: str) -> bool:
    """Whether a plain ``value`` would read back as a string (``""`` reads as null)."""
    return value != "" and _NOT_TEXT.match(value) is None


def _block_indicators(value: str) -> bool:
    """Whether ``value`` holds what ends or starts a plain scalar in block context."""
    if value.startswith(("---", "...")) or value[0] in _LEADING:
        return True
    if value[0] in "?:-" and (len(value) == 1 or value[1] in " \n"):
        return True
    return ": " in value or ":\n" in value or value.endswith(":") or " #" in value or "\n#" in value


def _style(value: str, key: bool) -> str:
    """PyYAML's choice for printable ASCII text (line breaks allowed): "" plain, "'" single
    quoted, "|" literal, '"' double quoted. ``key``: a simple mapping key."""
    if _NAME.fullmatch(value):
        return "" if _is_text(value) else "'"
    if not value:
        return "'"
    multiline = "\n" in value
    space_break = " \n" in value
    break_space = "\n " in value
    edges = value[0] in " \n" or value[-1] in " \n"
    plain = not (edges or multiline or space_break or break_space or _block_indicators(value))
    if plain and _is_text(value):
        return ""
    if multiline and not key:
        return "|" if value[-1] != " " and not space_break else '"'
    if not (space_break or break_space or (key and multiline)):
        return "'"
    return '"'


def key_ok(key: Any) -> bool:
    """Whether this mapping key is written as a simple key, alike by every writer."""
    return type(key) is str and 0 < len(key) < _MAX_SIMPLE_KEY and key.isascii() and key.isprintable()


def _key(key: Any) -> str:
    """A mapping key as written before its colon."""
    text = _key_texts.get(key) if type(key) is str else None
    if text is not None:
        return text
    if not key_ok(key):
        raise NotDirect
    name: str = key
    style = _style(name, True)
    if style == "":
        text = name
    elif style == "'":
        text = "'" + name.replace("'", "''") + "'"
    else:
        raise NotDirect
    if len(_key_texts) < _CACHE_LIMIT:
        _key_texts[name] = text
    return text


def _text(value: str, head: str, indent: int, out: list[str]) -> None:
    """A text value after ``head`` (``key:`` or ``-``); literal blocks indent by ``indent``."""
    style = _value_styles.get(value)
    if style is None:
        if not value.isascii() or not value.replace("\n", "").isprintable():
            raise NotDirect  # escapes and non-ASCII text: double quotes, PyYAML's
        style = _style(value, False)
        if len(_value_styles) < _CACHE_LIMIT:
            _value_styles[value] = style
    if style == "":
        line = head + " " + value
    elif style == "'":
        line = head + " '" + value.replace("'", "''") + "'"
        if "\n" in value:
            raise NotDirect
    elif style == "|":
        _literal(value, head, indent, out)
        return
    else:
        raise NotDirect
    if len(line) > WIDTH and " " in value:
        raise NotDirect  # PyYAML would fold it at a space
    out.append(line + "\n")


def _literal(value: str, head: str, indent: int, out: list[str]) -> None:
    if value[-1] == "\n" and (len(value) == 1 or value[-2] == "\n"):
        raise NotDirect  # keep-chomped ("|+"): PyYAML ends the document with "..."
    hints = "2" if value[0] in " \n" else ""
    if value[-1] != "\n":
        hints += "-"
        lines = value.split("\n")
    else:
        lines = value[:-1].split("\n")
    pad = " " * indent
    out.append(head + " |" + hints + "\n")
    out.extend(pad + line + "\n" if line else "\n" for line in lines)


def _value(value: Any, head: str, indent: int, out: list[str], in_mapping: bool) -> None:
    """``value`` after ``head``; ``indent`` is that of the collection holding it."""
    kind = type(value)
    if kind is str:
        _text(value, head, indent + 2, out)
    elif kind is dict:
        if not value:
            out.append(head + " {}\n")
        elif in_mapping:
            out.append(head + "\n")
            _mapping(value, indent + 2, None, out)
        else:
            _mapping(value, indent + 2, head + " ", out)
    elif kind is list:
        if not value:
            out.append(head + " []\n")
        elif in_mapping:  # PyYAML does not indent a sequence under a key
            out.append(head + "\n")
            _sequence(value, indent, None, out)
        else:
            _sequence(value, indent + 2, head + " ", out)
    elif kind is bool:
        out.append(head + (" true\n" if value else " false\n"))
    elif kind is int:
        out.append(head + " " + str(value) + "\n")
    elif value is None:
        out.append(head + " null\n")
    else:
        raise NotDirect


def _mapping(mapping: dict[Any, Any], indent: int, first: str | None, out: list[str]) -> None:
    pad = " " * indent
    start = pad if first is None else first
    for key, value in mapping.items():
        _value(value, start + _key(key) + ":", indent, out, True)
        start = pad


def _sequence(items: list[Any], indent: int, first: str | None, out: list[str]) -> None:
    pad = " " * indent
    start = pad if first is None else first
    for item in items:
        _value(item, start + "-", indent, out, False)
        start = pad


def dump(document: dict[Any, Any] | list[Any]) -> str:
    """One block-style document as ``yaml.dump(..., sort_keys=False, width=100)`` writes it."""
    out: list[str] = []
    if type(document) is dict and document:
        _mapping(document, 0, None, out)
    elif type(document) is list and document:
        _sequence(document, 0, None, out)
    else:
        raise NotDirect
    return "".join(out)
