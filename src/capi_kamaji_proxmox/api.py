"""Public Python API for automation (Ansible modules, Pulumi programs, tests of other tools).

Three functions, the same rules as the CLI::

    from capi_kamaji_proxmox import api

    objects = api.render({"cluster": {"name": "prod"}}, release_name="prod", namespace="clusters")
    print(api.to_yaml(objects))              # exactly what `template` prints
    for problem in api.validate(values):     # what `lint` reports, one Problem per key
        print(problem.path, problem.message)

``render`` raises :class:`InvalidValues`, which carries every problem at once. Importing this
module loads only what rendering needs: no Kubernetes or Proxmox client.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from capi_kamaji_proxmox.render.apis import ApiVersionError, ApiVersions
from capi_kamaji_proxmox.render.engine import render as _render
from capi_kamaji_proxmox.render.output import yaml_stream
from capi_kamaji_proxmox.values.errors import ValuesError
from capi_kamaji_proxmox.values.load import LoadedValues, validate_config

__all__ = ["InvalidValues", "Problem", "ValuesWarning", "render", "to_yaml", "validate"]

# "nodePools[0].network.bridge", "cluster.name", "(top level)": a problem line starts with one.
_KEY_PATH = re.compile(r"(?:[A-Za-z_][\w-]*|\[\d+\])(?:\.[A-Za-z_][\w-]*|\[\d+\])*|\(top level\)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the values.

    ``path`` is the key path in the values (``nodePools[1].replicas``), or ``""`` when the problem
    is not about one key (a generated name that is too long, an unknown ``api_versions`` entry).
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    @classmethod
    def from_line(cls, line: str) -> Problem:
        """Split a CLI error line (``path: message``) into its key path and message."""
        head, sep, rest = line.partition(": ")
        if sep and _KEY_PATH.fullmatch(head):
            return cls(head, rest)
        return cls("", line)


class InvalidValues(ValueError):
    """The values cannot be rendered; ``problems`` lists every reason, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ValuesWarning(UserWarning):
    """Values that render, but maybe not as meant (``template`` prints these as ``warning:``)."""


_LEAVES = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> Any:
    """Mappings and non-text sequences as the dicts and lists a parsed values file holds."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _LEAVES else _plain(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _LEAVES else _plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return [_plain(v) for v in value]
    return value


def _load(values: Mapping[str, Any], release_name: str) -> LoadedValues:
    if not isinstance(values, Mapping):
        raise InvalidValues([Problem("", f"values must be a mapping, got {type(values).__name__}")])
    try:
        return validate_config(_plain(values), release_name=release_name)
    except ValuesError as exc:
        raise InvalidValues([Problem.from_line(line) for line in exc.problems]) from None


def validate(values: Mapping[str, Any], *, release_name: str = "release") -> list[Problem]:
    """Every problem ``lint`` reports for ``values`` (the user's layer, as in a values file).

    ``release_name`` matters for the name-length checks; ``lint`` uses ``release`` too. An empty
    list means ``render`` will accept the values with the current API versions.
    """
    try:
        _load(values, release_name)
    except InvalidValues as exc:
        return exc.problems
    return []


def render(
    values: Mapping[str, Any],
    *,
    release_name: str,
    namespace: str = "default",
    api_versions: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The objects ``template`` renders, as fresh dicts (safe to modify).

    ``values`` is the user's layer (the chart's defaults fill the rest); ``api_versions`` takes
    ``--api-versions`` entries (``GROUP/VERSION`` or ``GROUP/VERSION/Kind``), empty meaning the
    current generation. Raises :class:`InvalidValues`; values warnings are issued as
    :class:`ValuesWarning`.
    """
    if isinstance(api_versions, str):
        api_versions = [api_versions]  # one entry, not its characters
    try:
        apis = ApiVersions.from_flags(list(api_versions)) if api_versions else ApiVersions.current()
    except ApiVersionError as exc:
        raise InvalidValues([Problem("", str(exc))]) from None
    loaded = _load(values, release_name)
    for text in loaded.warnings:
        warnings.warn(text, ValuesWarning, stacklevel=2)
    try:
        return _render(loaded.values, release_name=release_name, namespace=namespace, apis=apis)
    except ValuesError as exc:
        raise InvalidValues([Problem.from_line(line) for line in exc.problems]) from None
    except ApiVersionError as exc:
        raise InvalidValues([Problem("", str(exc))]) from None


def to_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    """The objects as ``template`` prints them: each document preceded by ``---``."""
    return yaml_stream([o if isinstance(o, dict) else _plain(o) for o in objects])
