"""What the release verbs do once their arguments are parsed (imported only when one of them runs,
so that `template` and `--help` do not pay for the Kubernetes client)."""

from __future__ import annotations

import argparse
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
from capi_kamaji_proxmox.lifecycle.plan import build_plan
from capi_kamaji_proxmox.release.record import Release
from capi_kamaji_proxmox.render.output import to_yaml
from capi_kamaji_proxmox.values.load import validate_config
from capi_kamaji_proxmox.values.merge import apply_set, merge_layers


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
    )


def _user_config(args: argparse.Namespace, base: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """The user's layer from -f/--set/--set-string (on top of ``base``), and whether anything was given.

    With ``base`` (the last release's values, for --reuse-values), ``--set nodePools[0].replicas=3``
    edits the reused pool instead of replacing the whole list as plain Helm would.
    """
    from capi_kamaji_proxmox.values.load import read_values_file

    config: dict[str, Any] = dict(base or {})
    for path in args.values:
        config = merge_layers(config, read_values_file(path))
    if args.set:
        config = apply_set(config, args.set)
    if args.set_string:
        config = apply_set(config, args.set_string, as_string=True, flag="--set-string")
    return config, bool(args.values or args.set or args.set_string)


def _upgrade_values(args: argparse.Namespace, last: Release | None) -> dict[str, Any]:
    """Helm's rule: --reuse-values builds on the last values; with no values given (and no
    --reset-values) the last values are kept; otherwise only the given values count."""
    given = bool(args.values or args.set or args.set_string)
    if last is not None and (args.reuse_values or (not given and not args.reset_values)):
        return _user_config(args, base=last.config)[0]
    return _user_config(args)[0]


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


def _warn(loaded_warnings: list[str]) -> None:
    for w in loaded_warnings:
        print(f"warning: {w}", file=sys.stderr)


# --------------------------------------------------------------------------- install / upgrade


def run_install(args: argparse.Namespace) -> int:
    config, _ = _user_config(args)
    loaded = validate_config(config, release_name=args.release)
    _warn(loaded.warnings)
    with _context(args, _options(args)) as ctx:
        _preflight(ctx, args, loaded)
        rec = actions.install(ctx, args.release, loaded)
        if ctx.options.wait and not ctx.options.dry_run:
            _wait(ctx, args.release)
    _print_release(rec, args.output, dry_run=args.dry_run)
    return common.EXIT_OK


def run_upgrade(args: argparse.Namespace) -> int:
    with _context(args, _options(args)) as ctx:
        hist = ctx.storage.history(args.release)
        config = _upgrade_values(args, hist[-1] if hist else None)
        loaded = validate_config(config, release_name=args.release)
        _warn(loaded.warnings)
        _preflight(ctx, args, loaded)
        rec = _upgrade(ctx, args, loaded)
        if ctx.options.wait and not ctx.options.dry_run:
            _wait(ctx, args.release)
    _print_release(rec, args.output, dry_run=args.dry_run)
    return common.EXIT_OK


def _command() -> str:
    """The command line as run, to quote in "run this again" messages."""
    return shlex.join(["capi-kamaji-proxmox", *sys.argv[1:]])


def _upgrade(ctx: ActionContext, args: argparse.Namespace, loaded: Any) -> Release:
    """A Kubernetes version change goes in steps (control plane, then pools); anything else at once."""
    from capi_kamaji_proxmox.lifecycle import version_upgrade

    via = list(getattr(args, "via", None) or [])
    if version_upgrade.needs_steps(ctx, args.release, loaded, via, _command()):
        return version_upgrade.upgrade_in_steps(ctx, args.release, loaded, via=via, command=_command())
    return actions.upgrade(ctx, args.release, loaded, install_missing=args.install)


def _preflight(ctx: ActionContext, args: argparse.Namespace, loaded: Any) -> None:
    """Run the doctor checks first; stop on a failure unless --skip-preflight (said in the output)."""
    if ctx.options.skip_preflight:
        print("warning: --skip-preflight: the management cluster and Proxmox were not checked", file=sys.stderr)
        return
    from capi_kamaji_proxmox.preflight.run import run_preflight

    results = run_preflight(
        ctx.client,
        ctx.namespace,
        loaded,
        args.release,
        insecure=args.insecure_skip_tls_verify,
        ca_file=args.proxmox_ca_file,
        bootstrap_namespace=args.bootstrap_namespace,
        bootstrap_service_account=args.bootstrap_service_account,
    )
    failed = [r for r in results if r.status == "fail"]
    for r in results:
        if r.status != "pass":
            print(r.line(), file=sys.stderr)
            detail = getattr(r, "detail", "")
            if detail and r.status == "fail":
                print(detail.rstrip(), file=sys.stderr)
    if failed:
        raise LifecycleError(
            f"preflight found {len(failed)} problem(s) (listed above); fix them, "
            "or pass --skip-preflight to go ahead anyway"
        )


def _wait(ctx: ActionContext, name: str) -> None:
    from capi_kamaji_proxmox.lifecycle.wait import wait_ready

    wait_ready(ctx, name)


# --------------------------------------------------------------------------- other verbs


def run_diff(args: argparse.Namespace) -> int:
    with _context(args, _options(args)) as ctx:
        hist = ctx.storage.history(args.release)
        last = hist[-1] if hist else None
        config = _upgrade_values(args, last)
        loaded = validate_config(config, release_name=args.release)
        _warn(loaded.warnings)
        deployed = [r for r in hist if r.status.value == "deployed"]
        plan = build_plan(ctx, args.release, loaded, previous=[last, deployed[-1] if deployed else None], impacts=True)
        from capi_kamaji_proxmox.lifecycle.records import written_by_tool

        changes = diffs.object_diffs(ctx, plan, force=bool(last and not written_by_tool(last)))
        steps = _version_steps(ctx, args, loaded) if last else []
    if args.output in ("json", "yaml"):
        data = {**diffs.as_data(plan, changes), "steps": steps}
        sys.stdout.write(json.dumps(data, indent=2) + "\n" if args.output == "json" else to_yaml(data))
    else:
        from capi_kamaji_proxmox.lifecycle.version_diff import step_text

        sys.stdout.write(step_text(steps) + diffs.render_text(plan, changes))
    return common.EXIT_INVALID if changes or steps else common.EXIT_OK


def _version_steps(ctx: ActionContext, args: argparse.Namespace, loaded: Any) -> list[dict[str, Any]]:
    """The remaining steps of a version upgrade and the machines each replaces (empty: none)."""
    from capi_kamaji_proxmox.lifecycle.version_diff import machines_of, step_data
    from capi_kamaji_proxmox.lifecycle.version_upgrade import describe_remaining

    steps, _, objects = describe_remaining(ctx, args.release, loaded, list(args.via or []), _command())
    return step_data(steps, machines_of(objects.mds))


def run_rollback(args: argparse.Namespace) -> int:
    with _context(args, _options(args)) as ctx:
        rec = actions.rollback(ctx, args.release, args.revision)
        if ctx.options.wait:
            _wait(ctx, args.release)
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
