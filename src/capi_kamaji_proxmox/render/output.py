"""Deterministic YAML / JSON output of manifests (same objects, same bytes)."""

from __future__ import annotations

import json
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)


def yaml_stream(objs: list[dict[str, Any]]) -> str:
    return "".join("---\n" + to_yaml(o) for o in objs)


def json_list(objs: list[dict[str, Any]]) -> str:
    return json.dumps(objs, indent=2) + "\n"
