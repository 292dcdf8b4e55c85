"""Entry point: argument parsing and error reporting only; the work happens in the library."""

from __future__ import annotations

import argparse
import sys

from capi_kamaji_proxmox import __version__
from capi_kamaji_proxmox.cli import (
    common,
    completion_cmd,
    doctor_cmd,
    lifecycle_cmd,
    observe_cmd,
    secret_cmd,
    template_cmd,
    values_cmd,
)
from capi_kamaji_proxmox.values.errors import ValuesError

COMMANDS = [template_cmd, values_cmd, lifecycle_cmd, observe_cmd, doctor_cmd, secret_cmd, completion_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capi-kamaji-proxmox",
        description="Create, upgrade, scale and delete Kubernetes clusters on Proxmox VE through "
        "Cluster API, with control planes hosted by Kamaji. Reads the Clastix chart's values files.",
    )
    parser.add_argument("--version", action="version", version=f"capi-kamaji-proxmox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in COMMANDS:
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
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
    except BrokenPipeError:
        return common.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
