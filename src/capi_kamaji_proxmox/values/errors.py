"""Errors of the values layer: every problem names the key path, all are reported at once."""

from __future__ import annotations

import re


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


# Unions report one error per member, with the member's type in the location.
_UNION_TAGS = {"int", "str", "dict[str,str]", "function-after", "constrained-str", "list[Taint]"}


def error_loc(loc: tuple[str | int, ...] | list[str | int]) -> tuple[str | int, ...]:
    """A pydantic error location without its union-member tags: the key path in the values."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS)))


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def problem_path(problem: str) -> tuple[str | int, ...]:
    """The key path a problem line starts with (``nodePools[1].name: ...`` -> ("nodePools", 1, "name"))."""
    head = problem.split(": ", 1)[0]
    if " " in head:
        return ()  # not a key path ("release name", "InClusterIPPool name")
    return tuple(int(i) if i else k for k, i in _PATH_PART.findall(head))
