"""``doctor``: every preflight check, one line each, before anything is installed.

The same checks run at the start of ``install`` and ``upgrade``; ``doctor`` shows all of them
(passes included) and exits 1 on any failure, so it fits CI gates and scripts (``-o json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from capi_kamaji_proxmox.cli import common
from capi_kamaji_proxmox.cli.secret_cmd import enable_debug_logging
from capi_kamaji_proxmox.preflight.defaults import BOOTSTRAP_NAMESPACE, BOOTSTRAP_SERVICE_ACCOUNT

if TYPE_CHECKING:
    from capi_kamaji_proxmox.proxmox.preflight import CheckResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "doctor",
        help="check the management cluster and Proxmox VE before installing",
        description="Run every preflight check for a release: the providers and kinds the render needs, the "
        "bootstrap provider's access to KamajiControlPlanes, the Kamaji DataStore, the Kamaji release's "
        "supported Kubernetes versions, the credentials Secret, and, "
        "with the token and TLS settings from that Secret, as CAPMOX will use them, Proxmox VE itself (TLS, "
        "privileges, nodes, template, guest agent, storage, bridges, cloud-init ISO store, pool, VM id ranges, "
        "capacity, IP ranges); with autoscaled pools, which Cluster Autoscaler discovers them and the autoscaler's "
        "kubeconfig Secret; with add-ons, their backend and the pod network. One line per check, each failure "
        "with its fix; exit 1 when any check fails.",
    )
    p.add_argument("release", metavar="RELEASE", help="release name (the cluster name unless cluster.name is set)")
    common.add_values_flags(p)
    common.add_kube_flags(p)
    common.add_output_flag(p, ("table", "json"), "table")
    p.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        help="do not verify Proxmox's certificate, even where CAPMOX will (the Secret's insecure/root_ca decide "
        "what CAPMOX does)",
    )
    p.add_argument(
        "--proxmox-ca-file",
        metavar="FILE",
        help="verify Proxmox's certificate with this CA where the Secret leaves CAPMOX unverified",
    )
    common.add_proxmox_timeout_flag(p, "for the Proxmox API")
    p.add_argument("--skip-proxmox", action="store_true", help="check only the management cluster")
    p.add_argument(
        "--bootstrap-namespace",
        default=BOOTSTRAP_NAMESPACE,
        metavar="NS",
        help=f"namespace of the kubeadm bootstrap provider (default {BOOTSTRAP_NAMESPACE})",
    )
    p.add_argument(
        "--bootstrap-service-account",
        default=BOOTSTRAP_SERVICE_ACCOUNT,
        metavar="SA",
        help=f"its service account (default {BOOTSTRAP_SERVICE_ACCOUNT})",
    )
    p.add_argument("--debug", action="store_true", help="log every request to stderr (secrets are never logged)")
    p.set_defaults(func=run)


def _as_json(release: str, namespace: str, results: list[CheckResult]) -> str:
    from capi_kamaji_proxmox.preflight.management import worst

    checks = []
    for r in results:
        item = {"name": r.name, "status": r.status, "found": r.found, "fix": r.fix}
        detail = getattr(r, "detail", "")
        if detail:
            item["detail"] = detail
        checks.append(item)
    status = worst(results)
    return json.dumps({"release": release, "namespace": namespace, "status": status, "checks": checks}, indent=2)


def _table(results: list[CheckResult]) -> str:
    lines = [r.line() for r in results]
    for r in results:
        detail = getattr(r, "detail", "")
        if detail and r.status != "pass":
            lines += ["", f"# {r.name}: to fix, save this and kubectl apply -f it", "---", detail.rstrip("\n")]
    counts = {s: sum(1 for r in results if r.status == s) for s in ("pass", "warn", "fail")}
    lines += ["", f"{counts['pass']} passed, {counts['warn']} warning(s), {counts['fail']} failed"]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    # The Kubernetes and Proxmox clients load only when doctor runs (not for --help or template).
    from capi_kamaji_proxmox.cli.connect import connected
    from capi_kamaji_proxmox.preflight.management import worst
    from capi_kamaji_proxmox.preflight.run import run_preflight

    if args.debug:
        enable_debug_logging()
    loaded = common.load(args, args.release)
    for w in loaded.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.insecure_skip_tls_verify and not args.skip_proxmox:
        print("warning: --insecure-skip-tls-verify: Proxmox's certificate is not verified", file=sys.stderr)
    with connected(args) as (client, namespace):
        results = run_preflight(
            client,
            namespace,
            loaded,
            args.release,
            insecure=args.insecure_skip_tls_verify,
            ca_file=args.proxmox_ca_file,
            proxmox=not args.skip_proxmox,
            bootstrap_namespace=args.bootstrap_namespace,
            bootstrap_service_account=args.bootstrap_service_account,
            timeout=args.proxmox_timeout,
        )
    sys.stdout.write(_as_json(args.release, namespace, results) + "\n" if args.output == "json" else _table(results))
    return common.EXIT_ERROR if worst(results) == "fail" else common.EXIT_OK
