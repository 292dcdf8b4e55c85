"""What the release verbs do once their arguments are parsed (imported only when one of them runs,
so that `template` and `--help` do not pay for the Kubernetes client)."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from capi_kamaji_proxmox.cli import common
from capi_kamaji_proxmox.cli.connect import connected
from capi_kamaji_proxmox.lifecycle import actions, query
from capi_kamaji_proxmox.lifecycle import diff as diffs
from capi_kamaji_proxmox.lifecycle.context import ActionContext, Options
from capi_kamaji_proxmox.lifecycle.defaults import DEFAULT_HISTORY_MAX, DEFAULT_TIMEOUT
from capi_kamaji_proxmox.lifecycle.errors import LifecycleError
from capi_kamaji_proxmox.lifecycle.inputs import PreflightSettings, UserValues
from capi_kamaji_proxmox.preflight.defaults import BOOTSTRAP_NAMESPACE, BOOTSTRAP_SERVICE_ACCOUNT, PROXMOX_TIMEOUT
from capi_kamaji_proxmox.release.record import Release
from capi_kamaji_proxmox.render.output import to_yaml


@contextmanager
def _context(args: argparse.Namespace, options: Options | None = None) -> Iterator[ActionContext]:
    """A connected context; lifecycle refusals become one-line errors with their exit code."""
    with connected(args) as (client, namespace):
        try:
            yield ActionContext(client=client, namespace=namespace, options=options or Options())
        except LifecycleError as exc:
            raise common.CLIError(str(exc), exc.exit_code) from None


def _options(args: argparse.Namespace) -> Options:
    return Options(
        dry_run=getattr(args, "dry_run", False),
        wait=getattr(args, "wait", False),
        timeout=getattr(args, "timeout", DEFAULT_TIMEOUT),
        force_conflicts=getattr(args, "force_conflicts", False),
        history_max=getattr(args, "history_max", DEFAULT_HISTORY_MAX),
        atomic=getattr(args, "atomic", False),
        keep_history=getattr(args, "keep_history", False),
        skip_preflight=getattr(args, "skip_preflight", False),
        preflight=PreflightSettings(
            insecure=getattr(args, "insecure_skip_tls_verify", False),
            ca_file=getattr(args, "proxmox_ca_file", None),
            timeout=getattr(args, "proxmox_timeout", PROXMOX_TIMEOUT),
            bootstrap_namespace=getattr(args, "bootstrap_namespace", BOOTSTRAP_NAMESPACE),
            bootstrap_service_account=getattr(args, "bootstrap_service_account", BOOTSTRAP_SERVICE_ACCOUNT),
        ),
        via=tuple(getattr(args, "via", None) or ()),
        command=shlex.join(["capi-kamaji-proxmox", *sys.argv[1:]]),
    )


def _user_values(args: argparse.Namespace) -> UserValues:
    """The values as given on the command line (files read here; merging is the action's job)."""
    from capi_kamaji_proxmox.values.load import read_values_file

    return UserValues(
        files=[read_values_file(path) for path in args.values],
        set=list(args.set),
        set_string=list(args.set_string),
        set_file=list(args.set_file),
        reuse_values=getattr(args, "reuse_values", False),
        reset_values=getattr(args, "reset_values", False),
    )


def _print_release(rec: Release, output: str, *, dry_run: bool = False) -> None:
    """The release summary (as helm prints it); a dry run also shows the manifest it would apply."""
    data: dict[str, Any] = {**query.summary(rec), "notes": rec.info.notes}
    if dry_run:
        data["manifest"] = rec.manifest
    if output == "json":
        print(json.dumps(data, indent=2))
    elif output == "yaml":
        sys.stdout.write(to_yaml(data))
    else:
        print(
            f"NAME: {rec.name}\nNAMESPACE: {rec.namespace}\nSTATUS: {'dry run' if dry_run else rec.status.value}"
            f"\nREVISION: {rec.version}\nDESCRIPTION: {rec.info.description}\n\nNOTES:\n{rec.info.notes}"
        )
        if dry_run:
            print(f"MANIFEST:\n{rec.manifest}")


# --------------------------------------------------------------------------- install / upgrade / diff


def run_install(args: argparse.Namespace) -> int:
    values = _user_values(args)
    with _context(args, _options(args)) as ctx:
        rec = actions.install(ctx, args.release, values)
    _print_release(rec, args.output, dry_run=args.dry_run)
    return common.EXIT_OK


def run_upgrade(args: argparse.Namespace) -> int:
    values = _user_values(args)
    with _context(args, _options(args)) as ctx:
        rec = actions.upgrade(ctx, args.release, values, install_missing=args.install)
    _print_release(rec, args.output, dry_run=args.dry_run)
    return common.EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    values = _user_values(args)
    with _context(args, _options(args)) as ctx:
        plan, changes = diffs.diff_release(ctx, args.release, values)
        from capi_kamaji_proxmox.lifecycle.version_diff import remaining_step_data, step_text

        steps = remaining_step_data(ctx, args.release, values)
    if args.output == "json":
        text = json.dumps({**diffs.as_data(plan, changes), "steps": steps}, indent=2) + "\n"
    elif args.output == "yaml":
        text = to_yaml({**diffs.as_data(plan, changes), "steps": steps})
    else:
        text = step_text(steps) + diffs.render_text(plan, changes)
    with contextlib.suppress(BrokenPipeError):  # `diff | head`: the exit code still says whether it changes
        sys.stdout.write(text)
        sys.stdout.flush()
    return common.EXIT_INVALID if changes or steps else common.EXIT_OK


def run_rollback(args: argparse.Namespace) -> int:
    with _context(args, _options(args)) as ctx:
        rec = actions.rollback(ctx, args.release, args.revision)
    if args.dry_run:
        print(f"Dry run complete: {args.release!r} would roll back as revision {rec.version}; nothing was written.")
        return common.EXIT_OK
    print(f"Rollback was a success! Release {args.release!r} is at revision {rec.version} ({rec.info.description}).")
    return common.EXIT_OK


def run_uninstall(args: argparse.Namespace) -> int:
    with _context(args, _options(args)) as ctx:
        actions.uninstall(ctx, args.release)
    if not args.dry_run:
        kept = " (history kept)" if args.keep_history else ""
        print(f"release {args.release!r} uninstalled{kept}")
    return common.EXIT_OK


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    widths = [max([len(title)] + [len(str(r.get(k, ""))) for r in rows]) for title, k in columns]
    lines = ["\t".join(t.ljust(w) for (t, _), w in zip(columns, widths, strict=True)).rstrip()]
    for r in rows:
        lines.append("\t".join(str(r.get(k, "")).ljust(w) for (_, k), w in zip(columns, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def _emit(rows: list[dict[str, Any]], output: str, columns: list[tuple[str, str]]) -> None:
    if output == "json":
        print(json.dumps(rows, indent=2))
    elif output == "yaml":
        sys.stdout.write(to_yaml(rows))
    else:
        sys.stdout.write(_table([{**r, "updated": _human_time(r.get("updated", ""))} for r in rows], columns))


def _human_time(stamp: str) -> str:
    """``Wed Nov 25 19:33:19 2026``, as helm's tables show times (JSON/YAML keep RFC 3339)."""
    from capi_kamaji_proxmox.release.record import parse_time

    when = parse_time(stamp) if stamp else None
    return when.strftime("%a %b %e %H:%M:%S %Y") if when else stamp


def run_history(args: argparse.Namespace) -> int:
    with _context(args) as ctx:
        rows = [query.summary(r) for r in query.history(ctx, args.release)][-args.max :]
    _emit(
        rows,
        args.output,
        [
            ("REVISION", "revision"),
            ("UPDATED", "updated"),
            ("STATUS", "status"),
            ("CHART", "chart"),
            ("APP VERSION", "app_version"),
            ("DESCRIPTION", "description"),
        ],
    )
    return common.EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    with _context(args) as ctx:
        rows = [query.summary(r) for r in query.list_releases(ctx, all_namespaces=args.all_namespaces)]
    _emit(
        rows,
        args.output,
        [
            ("NAME", "name"),
            ("NAMESPACE", "namespace"),
            ("REVISION", "revision"),
            ("UPDATED", "updated"),
            ("STATUS", "status"),
            ("CHART", "chart"),
            ("APP VERSION", "app_version"),
        ],
    )
    return common.EXIT_OK


def run_get(args: argparse.Namespace) -> int:
    with _context(args) as ctx:
        rec = query.get_revision(ctx, args.release, args.revision)
    if args.what == "values":
        data = query.values_of(rec, all_values=args.all)
        if args.output == "json":
            print(json.dumps(data, indent=2))
        else:
            sys.stdout.write(to_yaml(data) if data else "{}\n")
    elif args.what == "manifest":
        sys.stdout.write(rec.manifest)
    else:
        sys.stdout.write(rec.info.notes)
    return common.EXIT_OK
