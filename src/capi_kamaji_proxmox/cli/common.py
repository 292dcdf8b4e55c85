"""Flags shared by several commands, named as helm/kubectl name them, and their resolution."""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from capi_kamaji_proxmox.values.load import LoadedValues

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID = 2


class CLIError(Exception):
    """A failure to report as one line on stderr with an exit code, never a traceback."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def lazy_handler(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``capi_kamaji_proxmox.cli.<module>`` only when its command runs,
    so parsing (and `template`, `--help`) never pays for the Kubernetes and Proxmox clients."""

    def run(args: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f"capi_kamaji_proxmox.cli.{module}"), name
        )
        return handler(args)

    return run


def add_values_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-f",
        "--values",
        action="append",
        default=[],
        metavar="FILE",
        help="values file (repeatable; later files win; '-' reads stdin)",
    )
    p.add_argument(
        "--set", action="append", default=[], metavar="K=V", help="set a value, Helm syntax: a.b[0].c=x (repeatable)"
    )
    p.add_argument(
        "--set-string", action="append", default=[], metavar="K=V", help="like --set, but the value is always a string"
    )
    p.add_argument(
        "--set-file",
        action="append",
        default=[],
        metavar="K=PATH",
        help="set a value to the content of a file, Helm syntax: addons.cni.manifest=calico.yaml (repeatable)",
    )


def add_kube_flags(p: argparse.ArgumentParser, *, namespace: bool = True) -> None:
    if namespace:
        p.add_argument("-n", "--namespace", help="namespace (default: the kubeconfig's, else 'default')")
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    p.add_argument("--context", help="kubeconfig context to use")


def add_output_flag(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str) -> None:
    p.add_argument("-o", "--output", choices=choices, default=default, help=f"output format (default {default})")


def load(args: argparse.Namespace, release: str) -> LoadedValues:
    """The validated values of ``-f``/``--set``/``--set-string`` (imports the values model here,
    not at start, so ``--help`` and server-only commands do not pay for it)."""
    from capi_kamaji_proxmox.values.load import load_values

    return load_values(args.values, args.set, args.set_string, release_name=release, set_files=args.set_file)


def _kubeconfig_paths(explicit: str | None) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def kubeconfig_namespace(kubeconfig: str | None, context: str | None) -> str | None:
    """The namespace of the kubeconfig's (or the given) context, read without talking to a server."""
    for path in _kubeconfig_paths(kubeconfig):
        try:
            text = path.read_text()
        except OSError:
            continue
        import yaml  # only with a kubeconfig to read: `template` on a machine without one skips it

        try:
            data: Any = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        name = context or data.get("current-context")
        for entry in data.get("contexts") or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                ns = (entry.get("context") or {}).get("namespace")
                return str(ns) if ns else None
    return None


def resolve_namespace(args: argparse.Namespace) -> str:
    ns = getattr(args, "namespace", None)
    if ns:
        return str(ns)
    return kubeconfig_namespace(getattr(args, "kubeconfig", None), getattr(args, "context", None)) or "default"


def proxmox_seconds(text: str) -> float:
    """A positive number of seconds (argparse type for --proxmox-timeout)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 and at most 3600 seconds")
    return value


def add_proxmox_timeout_flag(p: argparse.ArgumentParser, what: str) -> None:
    """``--proxmox-timeout``: every command that talks to the Proxmox API has it (its errors name it)."""
    from capi_kamaji_proxmox.preflight import defaults

    p.add_argument(
        "--proxmox-timeout",
        type=proxmox_seconds,
        default=defaults.PROXMOX_TIMEOUT,
        metavar="SECONDS",
        help=f"per-request timeout {what} (default {defaults.PROXMOX_TIMEOUT:g})",
    )
