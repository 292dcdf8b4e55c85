"""Errors of the values layer: every problem names the key path, all are reported at once."""

from __future__ import annotations


class ValuesError(Exception):
    """Invalid values; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def format_path(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a location as ``cluster.controlPlane.replicas`` / ``nodePools[1].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"
