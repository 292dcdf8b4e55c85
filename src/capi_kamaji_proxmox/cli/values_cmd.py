"""``values show|schema`` and ``lint``: the values file without rendering or a server."""

from __future__ import annotations

import argparse
import sys

from capi_kamaji_proxmox.cli import common


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "values",
        help="show the default values or their JSON Schema",
        description="Print the default values as a commented YAML file (show), or a "
        "JSON Schema of the values for editors and CI (schema).",
    )
    vs = p.add_subparsers(dest="values_cmd", metavar="{show,schema,reference}", required=True)
    show = vs.add_parser("show", help="print the default values, commented")
    show.set_defaults(func=run_show)
    schema = vs.add_parser("schema", help="print the JSON Schema of the values")
    schema.set_defaults(func=run_schema)
    ref = vs.add_parser("reference", help="print the values reference as a Markdown table")
    ref.set_defaults(func=run_reference)

    lint = sub.add_parser(
        "lint",
        help="validate values files without rendering",
        description="Validate values exactly as install/template would; print every "
        "problem (exit 2), or warnings and a line saying the values are valid (exit 0).",
    )
    lint.add_argument(
        "release",
        metavar="RELEASE",
        nargs="?",
        default="release",
        help="release name, for name-length checks (default 'release')",
    )
    common.add_values_flags(lint)
    lint.set_defaults(func=run_lint)


def _print_shipped(name: str) -> int:
    from capi_kamaji_proxmox.values.shipped_docs import read

    sys.stdout.write(read(name))
    return common.EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    return _print_shipped("show")


def run_schema(args: argparse.Namespace) -> int:
    return _print_shipped("schema")


def run_reference(args: argparse.Namespace) -> int:
    return _print_shipped("reference")


def run_lint(args: argparse.Namespace) -> int:
    loaded = common.load(args, args.release)
    for w in loaded.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"values are valid ({len(loaded.values.node_pools or [])} node pool(s))")
    return common.EXIT_OK
