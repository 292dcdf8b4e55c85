"""Deterministic YAML / JSON output of manifests (same objects, same bytes).

YAML is PyYAML's format (``yaml.dump(..., sort_keys=False, default_flow_style=False, width=100)``,
multi-line text as literal blocks), written by :mod:`~capi_kamaji_proxmox.render.emit` for the
plain trees a render makes and by PyYAML (:mod:`~capi_kamaji_proxmox.render.pyyaml_writer`) for
anything else, which is also the reference the tests compare with.
"""

from __future__ import annotations

from typing import Any

from capi_kamaji_proxmox.render import emit


def to_yaml(obj: Any) -> str:
    """One YAML document (without ``---``), block style, keys in insertion order."""
    try:
        return emit.dump(obj)
    except emit.NotDirect:
        from capi_kamaji_proxmox.render import pyyaml_writer

        return pyyaml_writer.to_yaml(obj)


def to_yaml_pure(obj: Any) -> str:
    """:func:`to_yaml` by PyYAML's pure-Python emitter: the reference the faster writers match."""
    from capi_kamaji_proxmox.render import pyyaml_writer

    return pyyaml_writer.to_yaml_pure(obj)


def yaml_stream(objs: list[dict[str, Any]]) -> str:
    """Documents each preceded by ``---``, as ``template`` prints them."""
    return "".join("---\n" + to_yaml(o) for o in objs)


def json_list(objs: list[dict[str, Any]]) -> str:
    import json

    return json.dumps(objs, indent=2) + "\n"
