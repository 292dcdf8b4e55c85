"""``describe``, ``status`` and ``kubeconfig``: where clusters stand and why, without kubectl.
The work lives in :mod:`.observe_run`, imported when a command runs."""

from __future__ import annotations

import argparse

from capi_kamaji_proxmox.cli import common


def _watch_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-w",
        "--watch",
        action="store_true",
        help="keep running and redraw on every change (watch API, no polling); on a non-terminal only "
        "changed lines are printed; Ctrl-C stops",
    )
    p.add_argument(
        "--watch-timeout",
        type=float,
        metavar="SECONDS",
        help="with --watch: stop after this many seconds (exit 0)",
    )


def _workload_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-workload",
        action="store_true",
        help="do not read the workload cluster (its Nodes and kube-system Pods through the kubeconfig Secret)",
    )
    p.add_argument(
        "--workload-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="time each request to a workload API server may take (default 5)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "describe",
        help="show where a cluster stands and why, as a tree",
        description="Show a release's cluster as a tree: Cluster, its KamajiControlPlane, each pool's "
        "MachineDeployment (with its MachineSets during a rollout) and every Machine with its Proxmox "
        "node and VM id. Conditions that are not OK are shown with their messages. JSON/YAML output "
        "always carries every condition. Then the workload cluster itself, read through its kubeconfig "
        "Secret: nodes ready per pool, and why not (no CNI, no providerID, crash-looping kube-system "
        "pods, unreachable: DNS/TLS/timeout). Not with --watch.",
    )
    p.add_argument("release", metavar="RELEASE", help="release name")
    common.add_kube_flags(p)
    p.add_argument(
        "--show-conditions",
        choices=("failing", "all"),
        default="failing",
        help="which conditions the tree lists: failing (default: not OK, or an operation in progress) or all",
    )
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    _watch_flags(p)
    _workload_flags(p)
    p.set_defaults(func=common.lazy_handler("observe_run", "run_describe"))

    p = sub.add_parser(
        "status",
        help="one line per cluster release",
        description="One line per release: cluster, Kubernetes version, control plane ready/desired, "
        "nodes ready/desired per pool, rollouts in progress, release revision and status, and the "
        "workload cluster's nodes ready (read concurrently through each kubeconfig Secret, at most 8 at a "
        "time, with a short timeout; not with --watch). Sends a fixed number of requests to the management "
        "cluster whatever the number of clusters; workload requests are counted apart (on stderr).",
    )
    common.add_kube_flags(p)
    p.add_argument("-A", "--all-namespaces", action="store_true", help="releases of every namespace")
    common.add_output_flag(p, ("table", "json", "yaml"), "table")
    _watch_flags(p)
    _workload_flags(p)
    p.set_defaults(func=common.lazy_handler("observe_run", "run_status"))

    p = sub.add_parser(
        "kubeconfig",
        help="the admin kubeconfig of a release's cluster",
        description="Fetch the workload cluster's admin kubeconfig: the Secret <cluster>-kubeconfig "
        "(Cluster API), else the one Kamaji writes (<control plane>-admin-kubeconfig). The cluster "
        "name is read from the release, so it is right even when it differs from the release name. "
        "Written to FILE with mode 0600 (never over an existing file without --force); printed to "
        "stdout only with -o -.",
    )
    p.add_argument("release", metavar="RELEASE", help="release name")
    common.add_kube_flags(p)
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="file to write (mode 0600), or - for stdout; required",
    )
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(func=common.lazy_handler("observe_run", "run_kubeconfig"))
