"""``template``: render a release's objects locally, the counterpart of ``helm template``."""

from __future__ import annotations

import argparse
import sys

from capi_kamaji_proxmox.cli import common


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "template",
        help="render the objects of a cluster locally",
        description="Render the Cluster API objects of one workload cluster and print them. "
        "Talks to no server; the API versions are the current generation unless --api-versions "
        "names others (Helm's flag: GROUP/VERSION or GROUP/VERSION/Kind).",
    )
    p.add_argument("release", metavar="RELEASE", help="release name (the cluster name unless cluster.name is set)")
    common.add_values_flags(p)
    common.add_kube_flags(p)
    p.add_argument(
        "--api-versions",
        action="append",
        default=[],
        metavar="GROUP/VERSION",
        help="render this API version for the group's kinds (repeatable)",
    )
    common.add_output_flag(p, ("yaml", "json"), "yaml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from capi_kamaji_proxmox.render.apis import ApiVersionError, ApiVersions
    from capi_kamaji_proxmox.render.engine import render
    from capi_kamaji_proxmox.render.output import json_list, yaml_stream

    loaded = common.load(args, args.release)
    for w in loaded.warnings:
        print(f"warning: {w}", file=sys.stderr)
    try:
        apis = ApiVersions.from_flags(args.api_versions) if args.api_versions else ApiVersions.current()
        objs = render(loaded.values, release_name=args.release, namespace=common.resolve_namespace(args), apis=apis)
    except ApiVersionError as exc:
        raise common.CLIError(str(exc), common.EXIT_INVALID) from None
    sys.stdout.write(json_list(objs) if args.output == "json" else yaml_stream(objs))
    return common.EXIT_OK
