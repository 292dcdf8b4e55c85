"""Entry point: argument parsing and error reporting only; the work happens in the library."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
from types import ModuleType

from capi_kamaji_proxmox import __version__
from capi_kamaji_proxmox.cli import common
from capi_kamaji_proxmox.values.errors import ValuesError

# Modules of capi_kamaji_proxmox.cli, each registering its subcommands, in the order --help lists them.
COMMANDS = ["template_cmd", "values_cmd", "lifecycle_cmd", "observe_cmd", "doctor_cmd", "secret_cmd", "completion_cmd"]
# `template` runs most often (scripts, fleets, CI) and its cold start is measured against `helm
# template`: when it is the command, only its own module is imported and its own subparser built
# (the same one: options, help and errors are identical); any other first word builds all of them.
ALONE = {"template": "template_cmd"}


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"capi_kamaji_proxmox.cli.{name}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capi-kamaji-proxmox",
        description="Create, upgrade, scale and delete Kubernetes clusters on Proxmox VE through "
        "Cluster API, with control planes hosted by Kamaji. Reads the Clastix chart's values files.",
    )
    parser.add_argument("--version", action="version", version=f"capi-kamaji-proxmox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in [ALONE[command]] if command in ALONE else COMMANDS:
        _command_module(name).register(sub)
    return parser


def _drop_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        if sys.stdout is not None:
            try:
                sys.stdout.flush()  # an output failure shows here, after the work is done, not at exit
            except BrokenPipeError:
                _drop_stdout()
        return code
    except ValuesError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return common.EXIT_INVALID
    except common.CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): the work is done, as with other tools
        _drop_stdout()
        return common.EXIT_OK
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EBADF):
            raise
        _drop_stdout()
        with contextlib.suppress(OSError):
            print(f"error: cannot write the output ({exc.strerror}); the command itself completed", file=sys.stderr)
        return common.EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
