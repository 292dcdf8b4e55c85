"""``secret create``: write the Proxmox credentials Secret CAPMOX reads, without the usual mistakes.

Users wrote this Secret by hand from the chart README and got the URL (``/api2/json`` appended),
the token id (secret pasted into it) or the key names wrong. The token secret is taken only from
the environment, a file or stdin so it never lands in shell history, and it is never printed,
logged or written anywhere but the Secret.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from capi_kamaji_proxmox.cli import common

CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name"
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


class _NoSecretFlag(argparse.Action):
    """``--secret``/``--token-secret``: refuse without echoing the value (it belongs in no shell history)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            f"{option_string} is not accepted: a secret on the command line stays in shell history; set "
            "PROXMOX_SECRET or use --secret-file FILE (or - for stdin)"
        )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "secret",
        allow_abbrev=False,
        help="manage the Proxmox VE credentials Secret",
        description="Manage the Secret that holds the Proxmox VE API URL and token for a workload cluster.",
    )
    verbs = p.add_subparsers(dest="secret_command", metavar="VERB", required=True)
    c = verbs.add_parser(
        "create",
        allow_abbrev=False,  # "--secret VALUE" must not be taken as --secret-file
        help="create or update the Proxmox credentials Secret",
        description="Create or update (server-side apply) the Secret with keys url, token and secret and the "
        f"label {CLUSTER_LABEL}. The URL and token id come from --url/--token-id or PROXMOX_URL/PROXMOX_TOKEN; "
        "the token secret only from PROXMOX_SECRET, --secret-file FILE or --secret-file - (stdin), never from a "
        "flag, so it stays out of shell history.",
    )
    c.add_argument("name", metavar="NAME", help="Secret name (the values' proxmox.secret.name)")
    c.add_argument("--cluster-name", required=True, metavar="C", help=f"workload cluster name ({CLUSTER_LABEL})")
    c.add_argument("--url", help="Proxmox API URL, e.g. https://pve.example:8006 (default: $PROXMOX_URL)")
    c.add_argument("--token-id", metavar="ID", help="API token id user@realm!tokenid (default: $PROXMOX_TOKEN)")
    c.add_argument(
        "--secret-file", metavar="FILE", help="read the token secret from FILE ('-' = stdin; default: $PROXMOX_SECRET)"
    )
    c.add_argument("--secret", "--token-secret", action=_NoSecretFlag, help=argparse.SUPPRESS)
    c.add_argument("--verify", action="store_true", help="check the URL and token against Proxmox first")
    c.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        help='write insecure: "true" (CAPMOX does not verify the certificate) and --verify without checking it',
    )
    c.add_argument(
        "--proxmox-ca-file",
        metavar="FILE",
        help='write this PEM CA as root_ca with insecure: "false", so CAPMOX verifies the certificate (and --verify '
        "uses it); without either flag CAPMOX does not verify",
    )
    common.add_proxmox_timeout_flag(c, "of --verify")
    c.add_argument("--debug", action="store_true", help="log every step to stderr (the secret is never logged)")
    common.add_kube_flags(c)
    c.set_defaults(func=run_create)


def enable_debug_logging() -> None:
    """DEBUG logs on stderr, proxmoxer's too (it pins itself to WARNING)."""
    import logging  # only with --debug: logging costs start-up time for every command

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="debug: %(name)s: %(message)s")
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("proxmoxer"):
            logging.getLogger(name).setLevel(logging.DEBUG)


def _pick(flag: str | None, env: str, what: str, flag_name: str) -> str:
    value = flag if flag else os.environ.get(env, "")
    if not value.strip():
        raise common.CLIError(f"no {what}: pass {flag_name} or set {env}", common.EXIT_INVALID)
    return value.strip()


def read_secret(secret_file: str | None) -> str:
    """The token secret from a file, stdin, or PROXMOX_SECRET; surrounding whitespace removed."""
    if secret_file == "-":
        value, where = sys.stdin.read(), "stdin"
    elif secret_file:
        try:
            with open(secret_file, encoding="utf-8") as fh:
                value = fh.read()
        except OSError as exc:
            # Not echoing the name: a secret pasted by mistake in place of a path must not be printed.
            raise common.CLIError(f"cannot read the file given with --secret-file: {exc.strerror}") from None
        where = "--secret-file"
    else:
        value, where = os.environ.get("PROXMOX_SECRET", ""), "PROXMOX_SECRET"
        if not value.strip():
            raise common.CLIError(
                "no token secret: set PROXMOX_SECRET or pass --secret-file FILE (or - for stdin); it is never "
                "taken from a flag",
                common.EXIT_INVALID,
            )
    value = value.strip()
    if not value:
        raise common.CLIError(f"the token secret read from {where} is empty", common.EXIT_INVALID)
    if any(c.isspace() for c in value):
        raise common.CLIError(f"the token secret read from {where} contains whitespace", common.EXIT_INVALID)
    return value


def normalize(url: str, token_id: str) -> tuple[str, str, list[str]]:
    from capi_kamaji_proxmox.proxmox.client import ProxmoxError, parse_token_id, parse_url, token_id_problem

    """(URL without /api2/json, token id, notes to show); ``CLIError`` for a form that cannot work."""
    try:
        endpoint = parse_url(url)
    except ProxmoxError as exc:
        raise common.CLIError(str(exc), common.EXIT_INVALID) from None
    try:
        user, name = parse_token_id(token_id)
    except ProxmoxError:
        raise common.CLIError(
            token_id_problem(token_id, "the API token id (--token-id or PROXMOX_TOKEN)"), common.EXIT_INVALID
        ) from None
    notes = list(endpoint.notes)
    given = url.strip() if "://" in url else f"https://{url.strip()}"
    try:
        port_given = urllib.parse.urlsplit(given).port is not None
    except ValueError:
        port_given = True
    if not port_given:
        notes.append(f"no port in the URL; using {endpoint.port}, the Proxmox API port")
    return endpoint.base_url, f"{user}!{name}", notes


def _verify(url: str, token_id: str, secret: str, args: argparse.Namespace) -> None:
    from capi_kamaji_proxmox.proxmox.client import ProxmoxClient, ProxmoxError

    try:
        client = ProxmoxClient(
            url,
            token_id,
            secret,
            ca_file=args.proxmox_ca_file,
            insecure=args.insecure_skip_tls_verify,
            timeout=args.proxmox_timeout,
            as_capmox=True,
        )
        version = client.version()
    except ProxmoxError as exc:
        raise common.CLIError(f"--verify: {exc}") from None
    print(f"verified: Proxmox VE {version.get('version', '?')} at {url} accepts token {token_id}", file=sys.stderr)


def manifest(
    name: str, namespace: str, cluster: str, url: str, token_id: str, secret: str, tls: dict[str, str] | None = None
) -> dict[str, Any]:
    """The Secret as the chart README shows it: Opaque, keys url/token/secret (plus CAPMOX's
    ``insecure``/``root_ca`` when given), cluster-name label.

    ``data`` rather than ``stringData``: server-side apply then owns each key, so a key left out
    on the next run (root_ca, insecure) is removed instead of lingering and changing CAPMOX's TLS.
    """
    values = {"url": url, "token": token_id, "secret": secret, **(tls or {})}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": {CLUSTER_LABEL: cluster}},
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def _tls_keys(args: argparse.Namespace) -> dict[str, str]:
    """``root_ca``/``insecure`` as CAPMOX reads them (pkg/scope/cluster.go)."""
    if args.proxmox_ca_file and args.insecure_skip_tls_verify:
        raise common.CLIError(
            "--proxmox-ca-file and --insecure-skip-tls-verify exclude each other", common.EXIT_INVALID
        )
    if args.insecure_skip_tls_verify:
        return {"insecure": "true"}
    if not args.proxmox_ca_file:
        return {}
    try:
        pem = Path(args.proxmox_ca_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise common.CLIError(
            f"cannot read --proxmox-ca-file {args.proxmox_ca_file}: {exc}", common.EXIT_INVALID
        ) from None
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise common.CLIError(f"--proxmox-ca-file {args.proxmox_ca_file} holds no PEM certificate", common.EXIT_INVALID)
    return {"root_ca": pem.strip() + "\n", "insecure": "false"}


def run_create(args: argparse.Namespace) -> int:
    # Clients load only when the command runs, keeping `template` and --help fast.
    from capi_kamaji_proxmox.cli.connect import connected
    from capi_kamaji_proxmox.kube import apply as kube
    from capi_kamaji_proxmox.kube.errors import NotFound

    if args.debug:
        enable_debug_logging()
    if not _LABEL_VALUE.match(args.cluster_name):
        raise common.CLIError(
            f"--cluster-name {args.cluster_name!r} is not a valid label value (63 characters at most: letters, "
            "digits, '-', '_', '.', starting and ending with a letter or digit)",
            common.EXIT_INVALID,
        )
    url = _pick(args.url, "PROXMOX_URL", "Proxmox URL", "--url")
    token_id = _pick(args.token_id, "PROXMOX_TOKEN", "API token id", "--token-id")
    secret = read_secret(args.secret_file)
    url, token_id, notes = normalize(url, token_id)
    tls = _tls_keys(args)
    if not tls:
        notes.append(
            "no insecure/root_ca keys written: CAPMOX will not verify Proxmox's certificate; pass --proxmox-ca-file "
            "to make it verify"
        )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.insecure_skip_tls_verify and args.verify:
        print("warning: --insecure-skip-tls-verify: Proxmox's certificate is not verified", file=sys.stderr)
    if args.verify:
        _verify(url, token_id, secret, args)
    with connected(args) as (client, namespace):
        ref = kube.ObjectRef("v1", "Secret", args.name, namespace)
        try:
            kube.get(client, ref)
            verb = "configured"
        except NotFound:
            verb = "created"
        kube.apply(client, manifest(args.name, namespace, args.cluster_name, url, token_id, secret, tls), force=True)
    keys = ", ".join(["url", "token", "secret", *sorted(tls)])
    print(f"secret/{args.name} {verb} in namespace {namespace} (keys {keys}; {CLUSTER_LABEL}={args.cluster_name})")
    return common.EXIT_OK
