"""The Proxmox credentials Secret, read byte for byte the way CAPMOX reads it.

CAPMOX v0.9 (``pkg/scope/cluster.go`` setupProxmoxClient) takes ``url``, ``token`` and ``secret``
exactly as stored: no trimming, no default scheme or port, ``/api2/json`` appended by itself
(``url.JoinPath``). It also reads ``insecure`` and ``root_ca``: with ``insecure`` unset, or one of
``1 on true yes y`` (case-insensitive, untrimmed), the certificate is not verified at all;
otherwise it is verified against the system roots plus ``root_ca``
(``internal/tlshelper/roots.go``). So a value doctor would silently clean up is a failure here,
named by its key, and the TLS verdict is CAPMOX's, not doctor's.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from capi_kamaji_proxmox.kube.client import KubeClient
from capi_kamaji_proxmox.kube.errors import Forbidden, NotFound
from capi_kamaji_proxmox.proxmox.client import ProxmoxError, parse_token_id, parse_url, token_id_problem
from capi_kamaji_proxmox.proxmox.preflight import CheckResult

__all__ = ["CAPMOX_TRUE", "CREDENTIAL_KEYS", "Credentials", "check_credentials_secret"]

CREDENTIAL_KEYS = ("url", "token", "secret")
# go: slices.Contains([]string{"1", "on", "true", "yes", "y"}, strings.ToLower(insecure))
CAPMOX_TRUE = ("1", "on", "true", "yes", "y")


@dataclass(frozen=True)
class Credentials:
    """The Proxmox credentials read from the Secret; ``repr`` never shows the token secret."""

    url: str
    token: str
    secret: str
    insecure: str | None = None  # the raw ``insecure`` value; None = key absent
    root_ca: str | None = None  # PEM

    def __repr__(self) -> str:
        return f"Credentials(url={self.url!r}, token={self.token!r}, secret='***', insecure={self.insecure!r})"

    @property
    def capmox_verifies(self) -> bool:
        """Whether CAPMOX will verify the Proxmox certificate with these credentials."""
        return self.insecure is not None and self.insecure.lower() not in CAPMOX_TRUE


def _decode(data: dict[str, object], key: str) -> str | None:
    """The value of ``key`` as stored (not stripped); None when absent or not base64/UTF-8."""
    raw = data.get(key)
    if not isinstance(raw, str):
        return None
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def check_credentials_secret(
    client: KubeClient, namespace: str, name: str, cluster: str
) -> tuple[CheckResult, Credentials | None]:
    """The Secret CAPMOX reads exists and every value works as written (values never shown)."""
    check = "credentials-secret"
    where = f"Secret {namespace}/{name}"
    create = (
        f"capi-kamaji-proxmox secret create {name} -n {namespace} --cluster-name {cluster} "
        "(reads PROXMOX_URL, PROXMOX_TOKEN, PROXMOX_SECRET)"
    )
    try:
        obj = client.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{name}")
    except NotFound:
        return CheckResult(check, "fail", f"{where} does not exist", create), None
    except Forbidden:
        return CheckResult(
            check,
            "fail",
            f"you may not read {where}",
            f"grant your user get on secrets in {namespace}, or run doctor as a user who can",
        ), None
    data = obj.get("data") or {}
    values = {k: _decode(data, k) for k in (*CREDENTIAL_KEYS, "insecure", "root_ca")}
    absent = [k for k in CREDENTIAL_KEYS if k not in data]
    empty = [k for k in CREDENTIAL_KEYS if k in data and not (values[k] or "").strip()]
    if absent or empty:
        parts = ([f"lacks key(s) {', '.join(absent)}"] if absent else []) + (
            [f"has empty key(s) {', '.join(empty)}"] if empty else []
        )
        return CheckResult(
            check, "fail", f"{where} {' and '.join(parts)}", f"recreate it with all of url, token, secret: {create}"
        ), None
    padded = [k for k in (*CREDENTIAL_KEYS, "insecure") if (v := values[k]) is not None and v != v.strip()]
    if padded:
        return CheckResult(
            check,
            "fail",
            f"{where}: key(s) {', '.join(padded)} start or end with whitespace (a trailing newline from "
            "--from-file?); CAPMOX uses values as written, which breaks the URL or the Authorization header",
            f"recreate it without the whitespace: {create}",
        ), None
    url, token, secret = (values[k] or "" for k in CREDENTIAL_KEYS)
    creds = Credentials(url, token, secret, values["insecure"], values["root_ca"])
    try:
        parse_token_id(token)
    except ProxmoxError:
        # Not echoed: a token key that fails to parse often has the secret pasted into it.
        return CheckResult(
            check,
            "fail",
            f"{where}: {token_id_problem(token, 'key token')}",
            f"recreate it with the token id and the secret apart: {create}",
        ), None
    try:
        parse_url(url, as_capmox=True)
    except ProxmoxError as exc:
        fix = f"{exc.hint}; recreate it: {create}" if exc.hint else f"recreate it: {create}"
        return CheckResult(check, "fail", f"{where}: key url: {exc.problem}", fix), None
    return CheckResult(check, "pass", f"{where} has url, token ({token}) and secret"), creds
