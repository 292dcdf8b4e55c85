"""Release verbs against a management cluster: install, upgrade, diff, rollback, uninstall, history,
get, list. Helm's names, flags and exit codes where they exist. The work lives in
:mod:`.lifecycle_run`, imported when a verb runs."""

from __future__ import annotations

import argparse
import re

from capi_kamaji_proxmox.cli import common
from capi_kamaji_proxmox.lifecycle.defaults import DEFAULT_HISTORY_MAX, DEFAULT_TIMEOUT
from capi_kamaji_proxmox.preflight.defaults import BOOTSTRAP_NAMESPACE, BOOTSTRAP_SERVICE_ACCOUNT

_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$")


def _duration(text: str) -> float:
    """Seconds (``300``, ``2.5``) or a Go-style duration (``5m``, ``1h30m``), as helm's --timeout."""
    from capi_kamaji_proxmox.values.checks import duration_seconds

    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return float(text)
    if _DURATION.match(text):
        return float(duration_seconds(text))
    raise argparse.ArgumentTypeError(f"invalid duration {text!r} (use e.g. 300, 5m, 1h)")


def _release_flags(p: argparse.ArgumentParser, *, wait_help: str | None = None, history: bool = True) -> None:
    common.add_kube_flags(p)
    p.add_argument("--dry-run", action="store_true", help="server-side dry run of every object; nothing is written")
    p.add_argument(
        "--wait", action="store_true", help=wait_help or "wait until the control plane and every pool are ready"
    )
    p.add_argument(
        "--timeout",
        type=_duration,
        default=DEFAULT_TIMEOUT,
        help="how long to wait for --wait, for each step of a version upgrade, or for uninstall "
        "(seconds or 5m; default 5m)",
    )
    if history:
        p.add_argument(
            "--history-max",
            type=int,
            default=DEFAULT_HISTORY_MAX,
            help="keep at most this many revisions (0 = no limit)",
        )


def _force_conflicts_flag(p: argparse.ArgumentParser) -> None:
    """install and upgrade can meet a conflict, whose message names this flag (rollback always
    takes the fields back: it restores a revision)."""
    p.add_argument("--force-conflicts", action="store_true", help="take over fields owned by other field managers")


def _via_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--via",
        action="append",
        default=[],
        metavar="VERSION",
        help="a patch version to pass through when cluster.version skips minors (repeatable), e.g. --via v1.32.9",
    )


# --------------------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def release_parser(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=description)
        p.add_argument("release", metavar="RELEASE", help="release name")
        return p

    p = release_parser(
        "install",
        "create a cluster (a new release)",
        "Render the values, check the management cluster and Proxmox, dry-run every object on the "
        "server, apply them (server-side apply, strict), and record revision 1 in Helm's format. "
        "Running it again after a failed or interrupted install converges.",
    )
    common.add_values_flags(p)
    _release_flags(p)
    p.add_argument("--atomic", action="store_true", help="on failure, remove what the install created")
    _force_conflicts_flag(p)
    _preflight_flags(p)
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_install"))

    p = release_parser(
        "upgrade",
        "change a cluster (upgrade, scale, reconfigure)",
        "Apply new values to a release. Nodes roll when a pool's templates change (see "
        "`diff`). Old templates are kept while machines use them; autoscaled replicas are "
        "never taken back. A change of cluster.version goes in steps, each its own revision: "
        "the control plane, a wait until it reports the version, then the pools (all, or one "
        "at a time per upgradeStrategy.pools); a skipped minor needs --via. --timeout bounds "
        "each wait. Nothing is written unless the server accepts every object in a dry run. An "
        "interrupted upgrade (a step's process gone, or a wait timed out) is continued by running "
        "the same upgrade again.",
    )
    common.add_values_flags(p)
    _release_flags(p)
    p.add_argument("-i", "--install", action="store_true", help="install if the release does not exist")
    p.add_argument("--reuse-values", action="store_true", help="merge the given values onto the last release's")
    p.add_argument("--reset-values", action="store_true", help="use only the given values and the defaults")
    p.add_argument("--atomic", action="store_true", help="on failure, roll back to the last deployed revision")
    _force_conflicts_flag(p)
    _via_flag(p)
    _preflight_flags(p)
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_upgrade"))

    p = release_parser(
        "diff",
        "show what an upgrade would change",
        "Per pool, which machines an upgrade would replace and why; then per object what "
        "changes (server-side dry run; server-populated fields ignored). Exit 0 when "
        "nothing changes, 2 when something would.",
    )
    common.add_values_flags(p)
    common.add_kube_flags(p)
    p.add_argument("--reuse-values", action="store_true", help="merge the given values onto the last release's")
    p.add_argument("--reset-values", action="store_true", help="use only the given values and the defaults")
    _via_flag(p)
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_diff"))

    p = release_parser(
        "rollback",
        "return a release to an earlier revision",
        "Re-apply the objects of REVISION (default: the previous one) as a new revision. A pending "
        "revision whose holder is gone is taken over (marked failed) first; one whose holder is alive "
        "is refused. With --dry-run nothing is written.",
    )
    p.add_argument("revision", metavar="REVISION", type=int, nargs="?", help="revision to return to")
    _release_flags(p)
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_rollback"))

    p = release_parser(
        "uninstall",
        "delete a cluster",
        "Delete the Cluster first and wait until Cluster API has removed it (machines, VMs, "
        "control plane); only then delete the rest. A timeout stops with what blocks; running "
        "the command again resumes. The Proxmox credentials Secret is never deleted.",
    )
    _release_flags(
        p,
        wait_help="accepted as helm's: uninstall always waits until the Cluster is gone (bounded by --timeout)",
        history=False,
    )
    p.add_argument("--keep-history", action="store_true", help="keep the release records, marked uninstalled")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_uninstall"))

    p = release_parser("history", "revisions of a release", "Revisions of a release, oldest first.")
    common.add_kube_flags(p)
    p.add_argument("--max", type=int, default=256, help="show at most this many revisions")
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_history"))

    p = sub.add_parser(
        "get",
        help="values, manifest or notes of a release",
        description="Print what a release revision stored (the latest by default).",
    )
    p.add_argument("what", choices=("values", "manifest", "notes"))
    p.add_argument("release", metavar="RELEASE")
    p.add_argument("--revision", type=int, help="revision (default: the latest)")
    p.add_argument("-a", "--all", action="store_true", help="values: the computed values (defaults included)")
    common.add_kube_flags(p)
    common.add_output_flag(p, ("yaml", "json"), "yaml")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_get"))

    p = sub.add_parser(
        "list",
        aliases=["ls"],
        help="releases in a namespace",
        description="Releases (latest revision each) in the namespace, or in all with -A.",
    )
    p.add_argument("-A", "--all-namespaces", action="store_true", help="list releases of every namespace")
    common.add_kube_flags(p)
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    p.set_defaults(func=common.lazy_handler("lifecycle_run", "run_list"))


def _preflight_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--skip-preflight", action="store_true", help="do not run the doctor checks first")
    p.add_argument("--insecure-skip-tls-verify", action="store_true", help="do not verify Proxmox's certificate")
    p.add_argument("--proxmox-ca-file", metavar="FILE", help="CA bundle that signed Proxmox's certificate")
    common.add_proxmox_timeout_flag(p, "for the Proxmox API during preflight")
    p.add_argument(
        "--bootstrap-namespace",
        metavar="NS",
        default=BOOTSTRAP_NAMESPACE,
        help="namespace of the kubeadm bootstrap provider (for its RBAC check)",
    )
    p.add_argument(
        "--bootstrap-service-account",
        metavar="SA",
        default=BOOTSTRAP_SERVICE_ACCOUNT,
        help="service account of the kubeadm bootstrap provider",
    )
