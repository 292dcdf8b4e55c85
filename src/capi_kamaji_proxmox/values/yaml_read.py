"""Reading values files: PyYAML with a duplicate-key rule, on libyaml's parser where it agrees.

Its own module so that commands given no values file (``template`` of the chart's defaults) start
without importing PyYAML; :mod:`capi_kamaji_proxmox.values.load` imports it when a file is read.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import yaml

from capi_kamaji_proxmox.values.errors import ValuesError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: a repeated key silently wins in plain YAML."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):
            continue  # construct_mapping below reports it as a YAML error ("found unhashable key")
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key].start_mark.line + 1})", mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# libyaml's parser when PyYAML has it (several times faster); the pure-Python loader stays the
# reference: any error is reported as it words it, so messages do not depend on the build.
_CSafeLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)
_FastLoader: type[Any] = _StrictLoader
if _CSafeLoader is not None:

    class _CStrictLoader(_CSafeLoader):  # type: ignore[misc, valid-type]
        """The same duplicate-key rule on libyaml's parser."""

    _CStrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _FastLoader = _CStrictLoader


# Text the two parsers read differently (libyaml accepts tabs inside plain scalars and a comment
# glued to a block scalar header, treats repeated byte-order marks and the bare "!" tag its own
# way): parsed by the reference loader only. tests/values/test_yaml_parity.py fuzzes both.
_LIBYAML_DIFFERS = re.compile(r"\t|\ufeff|[|>][-+0-9]*#|!(?=\s|\Z)")


def _parse(text: str) -> Any:
    if _LIBYAML_DIFFERS.search(text):
        return yaml.load(text, Loader=_StrictLoader)
    try:
        return yaml.load(text, Loader=_FastLoader)
    except yaml.YAMLError:
        if _FastLoader is _StrictLoader:
            raise
        return yaml.load(text, Loader=_StrictLoader)  # the reference parser's verdict and words


def read_values_text(text: str, source: str) -> dict[str, Any]:
    """Parse one values document; syntax errors name the file, line and column."""
    try:
        data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ValuesError([f"{where}: YAML syntax error: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ValuesError([f"{source}: YAML syntax error: {exc}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesError([f"{source}: a values file must be a map at the top, got {type(data).__name__}"])
    return data
