"""What ``describe``, ``status`` and ``kubeconfig`` do once parsed (imported only when one runs)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from capi_kamaji_proxmox.cli import common
from capi_kamaji_proxmox.cli.connect import connected
from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.discovery import APINotServed
from capi_kamaji_proxmox.observe import (
    Frame,
    KubeconfigMissing,
    ReleaseMissing,
    Snapshot,
    describe_lines,
    describe_view,
    fetch_kubeconfig,
    load_describe,
    load_status,
    status_lines,
    status_rows,
    watch_loop,
    write_private,
)
from capi_kamaji_proxmox.observe.workload import workload_lines
from capi_kamaji_proxmox.observe.workload_load import describe_workload, status_workloads
from capi_kamaji_proxmox.release.record import DecodeError


@contextmanager
def _connect(args: argparse.Namespace) -> Iterator[tuple[KubeClient, str]]:
    """Client and namespace; every expected failure becomes one line on stderr, never a traceback."""
    with connected(args) as (client, namespace):
        try:
            yield client, namespace
        except (ReleaseMissing, KubeconfigMissing) as exc:
            raise common.CLIError(str(exc.args[0] if exc.args else exc)) from None
        except APINotServed as exc:
            raise common.CLIError(f"{exc} (is this a Cluster API management cluster?)") from None
        except DecodeError as exc:
            raise common.CLIError(f"unreadable release record: {exc}") from None


def _print_doc(doc: Any, output: str) -> None:
    if output == "json":
        print(json.dumps(doc, indent=2))
    else:
        sys.stdout.write(yaml.safe_dump(doc, sort_keys=False))


def _watch(args: argparse.Namespace, client: KubeClient, snap: Snapshot, queries: Any, render: Any) -> int:
    """Follow changes through the watch API and redraw with ``render`` until timeout or Ctrl-C."""
    return watch_loop(
        client,
        snap,
        queries,
        render,
        sys.stdout,
        tty=sys.stdout.isatty(),
        output=args.output,
        timeout=args.watch_timeout,
    )


def _check_watch(args: argparse.Namespace) -> None:
    if args.watch_timeout is not None and not args.watch:
        raise common.CLIError("--watch-timeout needs --watch", common.EXIT_INVALID)
    if args.watch_timeout is not None and args.watch_timeout <= 0:
        raise common.CLIError("--watch-timeout must be a positive number of seconds", common.EXIT_INVALID)


def run_describe(args: argparse.Namespace) -> int:
    _check_watch(args)
    timeout = _workload_timeout(args)
    with _connect(args) as (client, namespace):
        snap, queries = load_describe(client, namespace, args.release)

        def render(s: Snapshot) -> Frame:
            try:
                view = describe_view(s, namespace, args.release)
            except ReleaseMissing as exc:  # uninstalled while watching
                view = {"release": None, "problems": [str(exc)]}
                if args.output != "table":
                    return Frame(doc=view)
                return Frame(lines=[])
            if args.output != "table":
                return Frame(doc=view)
            return Frame(lines=describe_lines(view, args.show_conditions))

        if args.watch:
            return _watch(args, client, snap, queries, render)
        view = describe_view(snap, namespace, args.release)
        if not args.no_workload:
            view["workload"] = describe_workload(client, namespace, args.release, view, timeout=timeout)
        if args.output != "table":
            _print_doc(view, args.output)
        else:
            lines = describe_lines(view, args.show_conditions)
            if "workload" in view:
                lines += workload_lines(view["workload"])
            print("\n".join(line.text for line in lines))
    return common.EXIT_OK


def _workload_timeout(args: argparse.Namespace) -> float:
    if args.workload_timeout <= 0:
        raise common.CLIError("--workload-timeout must be a positive number of seconds", common.EXIT_INVALID)
    return float(args.workload_timeout)


def run_status(args: argparse.Namespace) -> int:
    _check_watch(args)
    timeout = _workload_timeout(args)
    if args.all_namespaces and args.namespace:
        raise common.CLIError("pass either -A or -n, not both", common.EXIT_INVALID)
    with _connect(args) as (client, namespace):
        scope = None if args.all_namespaces else namespace
        snap, queries = load_status(client, scope)

        def render(s: Snapshot) -> Frame:
            rows = status_rows(s, s.latest_releases(scope))
            if args.output != "table":
                return Frame(doc=rows)
            return Frame(lines=status_lines(rows, args.all_namespaces))

        if args.watch:
            return _watch(args, client, snap, queries, render)
        rows = status_rows(snap, snap.latest_releases(scope))
        if rows and not args.no_workload:
            stats = status_workloads(client, scope, rows, timeout=timeout)
            print(
                f"workload clusters: {stats.clusters} read with {stats.requests} request(s), "
                f"{stats.unreachable} unreachable; management cluster: {client.counter.count()} request(s)",
                file=sys.stderr,
            )
        frame = Frame(doc=rows) if args.output != "table" else Frame(lines=status_lines(rows, args.all_namespaces))
        if args.output != "table":
            _print_doc(frame.doc, args.output)
        elif frame.lines and len(frame.lines) > 1:
            print("\n".join(line.text for line in frame.lines))
        else:
            where = "any namespace" if args.all_namespaces else f"namespace {namespace!r}"
            print(f"no cluster releases in {where}", file=sys.stderr)
    return common.EXIT_OK


def run_kubeconfig(args: argparse.Namespace) -> int:
    if not args.output:
        raise common.CLIError(
            "say where the kubeconfig goes: -o FILE writes a file with mode 0600, -o - prints it to stdout",
            common.EXIT_INVALID,
        )
    target = None if args.output == "-" else Path(args.output)
    if target is not None and target.exists() and not args.force:
        raise common.CLIError(f"{target} exists; pass --force to replace it")
    if target is not None and not target.parent.is_dir():
        raise common.CLIError(f"folder {target.parent} does not exist")
    with _connect(args) as (client, namespace):
        data, source = fetch_kubeconfig(client, namespace, args.release)
    if target is None:
        sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
        sys.stdout.flush()
        return common.EXIT_OK
    try:
        write_private(target, data, force=args.force)
    except FileExistsError:
        raise common.CLIError(f"{target} exists; pass --force to replace it") from None
    except OSError as exc:
        raise common.CLIError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(
        f"wrote the admin kubeconfig of cluster {source.cluster} (Secret {source.secret}) to {target}",
        file=sys.stderr,
    )
    return common.EXIT_OK
